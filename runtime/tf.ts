// The one @tensorflow/tfjs instance shared by generated code, the runtime and the tuner.
// Backends register their kernels on this instance, so nothing may import tfjs elsewhere.
import * as tf from "@tensorflow/tfjs";

export { tf };

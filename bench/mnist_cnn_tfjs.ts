// pipelines/mnist_cnn.dlp's model (Keras's Simple MNIST convnet, 34 826 parameters) written by
// hand in tfjs: the reference the speed and overhead benchmarks compare generated code and
// PyTorch against.
import { tf } from "../runtime/index.ts";

export function handWrittenMnistCnn(name = "mnist_cnn"): tf.LayersModel {
  const m = tf.sequential({ name });
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: "relu" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(tf.layers.dense({ units: 10, activation: "softmax" }));
  return m;
}

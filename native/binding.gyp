{
  "targets": [
    {
      "target_name": "dlp_native",
      "sources": ["dlp_native.cc"],
      "include_dirs": ["/usr/include/oneapi"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

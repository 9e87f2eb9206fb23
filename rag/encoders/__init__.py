"""Encoders: the embedders (registry, MiniLM on OpenVINO or PyTorch, the hash test double), the sentence-vector cache,
the shipped cross-encoders, the ONNX export and the CPU/OpenVINO runtime settings."""

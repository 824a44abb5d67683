import CPackedGEMM
import Dispatch
import HeroCore

/// Inception v3 (2015-12-05) cut at `pool_3`: RGB images in, 2048-float bottlenecks out.
///
/// The forward pass is `out_jit_module/code/__torch__/inceptionv3.py` layer for layer: each
/// `Conv2dLayer` is a convolution without bias, batch norm (`beta`, `mean`, `var`, eps 0.001, no
/// scale) and ReLU — folded at load into one convolution with bias (``FoldedConv``); the stem's
/// 3x3/2 max pools; the towers' 3x3/1 average pools (padding 1, `count_include_pad=False`; each
/// runs after the 1x1 convolution that follows it in the code, which gives the same sums in
/// another order), the last block's 3x3/1 max pool; the channel concatenations in the order of
/// the code; and the final 8x8 average pool.
///
/// Tensors are planar over the whole batch, `[C][N][H][W]`: a 1x1 convolution is then one GEMM
/// for every image at once, and a block's concatenation is free (each tower writes its rows of
/// the output). Not `Sendable`: one per task; it owns its scratch buffers and reuses them.
///
/// Threads: with `threads: 1` (the default) everything runs in the caller, and OpenBLAS uses
/// whatever ``BLAS/setThreads(_:)`` gave it: the choice for several tasks at once, each with its
/// own network and OpenBLAS at one thread. With `threads: n > 1` OpenBLAS is set to one thread
/// and each batch is split across `n` lanes (own buffers, own thread), while a lone image runs
/// on one lane whose every layer is split in `n` parts run by a persistent team of threads
/// (GEMMs by output channel or column, Winograd's GEMMs by point, transforms, im2col and
/// pools by channel); between jobs its threads watch for the next one for a moment, then block.
/// One level of parallelism at a time.
///
/// `precision: .int8` (docs/int8.md): every convolution quantizes its input to uint8 (the
/// calibrated range; the first layer's by 1/128 with zero point 128), multiplies by int8 weights
/// packed at load with exact int32 sums (`Sources/CPackedGEMM/int8_gemm.c`), and writes the
/// output requantized for the layer that reads it (mixed_10's last layers: `acc · scale + bias`,
/// ReLU) as float32 into the same buffers, as the int8 ONNX export computes it. No Winograd in
/// int8.
/// (``BLAS/setThreads(_:)`` is process-wide: use `threads: n > 1` only when this network is the
/// only one running.)
public final class InceptionV3 {
  public let weights: InceptionWeights
  /// The most images run through one forward pass (split across the lanes).
  public let batchSize: Int
  private let lanes: [ForwardPass]
  /// Splits each layer of a batch smaller than the lanes (a lone image) across the threads.
  private let team: WorkerTeam?
  /// The threads it uses: lanes across the images of a batch, or a team splitting each layer of
  /// a lone image; OpenBLAS runs one thread either way.
  public let threads: Int

  /// The arithmetic of the convolutions: float32, or int8.
  public let precision: Precision

  /// A network on `weights` that runs up to `batchSize` images per forward pass, on `threads`
  /// lanes. With `precision: .int8`, every convolution runs in int8 by the
  /// shared scheme (docs/int8.md) with the input ranges of `calibration`, on the int8 GEMM's
  /// `int8Path`.
  public init(
    weights: InceptionWeights, batchSize: Int = 16, threads: Int = 1,
    precision: Precision = .fp32, calibration: Int8Calibration = .bundled,
    int8Path: Int8Path = .current
  ) {
    self.weights = weights
    self.batchSize = max(1, batchSize)
    self.precision = precision
    let n = max(1, threads)
    let int8 =
      precision == .int8 ? weights.int8Layers(calibration: calibration, path: int8Path) : nil
    lanes = (0..<min(n, self.batchSize)).map { _ in ForwardPass(weights: weights, int8: int8) }
    team = n > 1 ? WorkerTeam(size: n) : nil
    self.threads = n
  }

  /// Whether the 1x7, 7x1, 1x3 and 3x1 layers run by 1D Winograd (the default) or by im2col +
  /// GEMM (for comparisons).
  public var oneDimensionalWinograd: Bool {
    get { lanes[0].oneDimensionalWinograd }
    set { for lane in lanes { lane.oneDimensionalWinograd = newValue } }
  }

  /// Whether a lone image split across the threads streams the Winograd layers' transformed
  /// tiles to memory (non-temporal stores): nil (the default) while the threads' cores do not
  /// share a cache, as the team measures twice a second; `true` or `false` to force it (tests).
  public var streamTransformedTiles: Bool? {
    get { lanes[0].streamOverride }
    set { for lane in lanes { lane.streamOverride = newValue } }
  }

  /// Calls `observer` with every convolution's input tensor (`[C][N][H][W]` of the batch) and
  /// the layer's original key (a block's stacked 1x1 layer once per member layer), just before
  /// the convolution runs; nil turns it off. Lanes run at once: the observer must be safe to
  /// call from several threads. For the int8 calibration (``Int8RangeMeter``).
  public func observeConvolutionInputs(
    _ observer: (@Sendable (_ key: String, _ input: UnsafeBufferPointer<Float>) -> Void)?
  ) {
    for lane in lanes { lane.observer = observer }
  }

  /// Turns per-layer-kind timing on (`true`) or off, and forgets what was timed so far.
  /// Timing costs two clock reads per layer; off by default.
  public func setProfiling(_ on: Bool) {
    for lane in lanes { lane.profile = on ? LayerProfile() : nil }
  }

  /// Seconds per kind of layer since ``setProfiling(_:)``, summed over the lanes (CPU time when
  /// lanes run at once; a layer split across the team counts its wall time), or nil when off.
  public var profile: LayerProfile? {
    guard lanes.contains(where: { $0.profile != nil }) else { return nil }
    let total = LayerProfile()
    for lane in lanes { if let p = lane.profile { total.merge(p) } }
    return total
  }

  /// The bottleneck of one image (any size).
  public func bottleneck(_ image: RGBImage) -> [Float] {
    bottlenecks([image])[0]
  }

  /// The bottlenecks of `images` (any sizes), in order; batches of ``batchSize`` internally.
  public func bottlenecks(_ images: [RGBImage]) -> [[Float]] {
    var result: [[Float]] = []
    result.reserveCapacity(images.count)
    var first = 0
    while first < images.count {
      let n = min(batchSize, images.count - first)
      // Contiguous shares of the batch, one per lane.
      let used = min(lanes.count, n)
      let shares = (0..<used).map { i in
        (first + i * n / used)..<(first + (i + 1) * n / used)
      }
      if used == 1 {
        // A lone image: one lane, each layer split across the team.
        if threads > 1 { BLAS.setThreads(1) }
        lanes[0].run(images[shares[0]], team: team)
      } else {
        BLAS.setThreads(1)
        let lanes = self.lanes
        DispatchQueue.concurrentPerform(iterations: used) { i in
          lanes[i].run(images[shares[i]])
        }
      }
      for i in 0..<used { lanes[i].appendResults(to: &result) }
      first += n
    }
    return result
  }
}

/// One lane of the network: the scratch buffers and the layer sequence for a batch.
/// `@unchecked Sendable` because ``InceptionV3`` hands each lane to exactly one thread at a time.
final class ForwardPass: @unchecked Sendable {
  let weights: InceptionWeights
  /// The int8 layers by forward-pass key (nil: all in float32).
  let int8: [String: Int8Conv]?
  /// The quantized input of the current block (read by several of its layers), and the
  /// quantized input of any other layer.
  private let blockWords = WordBuffer()
  private let inputWords = WordBuffer()
  private let pooledWords = WordBuffer()
  /// The block input `blockWords` holds, once quantized (by `blockInputScale`).
  private var blockInput: UnsafePointer<Float>?
  private var blockInputScale: Float?
  private let input = FloatBuffer()
  private let bufferA = FloatBuffer()
  private let bufferB = FloatBuffer()
  private let temp1 = FloatBuffer()
  private let temp2 = FloatBuffer()
  private let pooled = FloatBuffer()
  private let columns = FloatBuffer()
  private let products = FloatBuffer()
  private var pooledOut: [Float] = []
  private var batch = 1
  /// The team splitting each layer of this run, if any.
  private var team: WorkerTeam?
  /// Per-layer-kind timing, when on.
  var profile: LayerProfile?
  /// Whether the 1xr/rx1 layers use 1D Winograd (else im2col + GEMM).
  var oneDimensionalWinograd = true
  /// See ``InceptionV3/streamTransformedTiles``.
  var streamOverride: Bool?
  /// See ``InceptionV3/observeConvolutionInputs(_:)``.
  var observer: (@Sendable (String, UnsafeBufferPointer<Float>) -> Void)?

  /// The fp32 forms of the weights (packed, Winograd), for an fp32 pass only.
  private let fp32: InceptionWeights.FP32Forms?

  init(weights: InceptionWeights, int8: [String: Int8Conv]? = nil) {
    self.weights = weights
    self.int8 = int8
    fp32 = int8 == nil ? weights.fp32 : nil
  }

  /// Marks `x` as the input several layers of the next block read (quantized once in int8).
  private func beginBlock(_ x: UnsafePointer<Float>?) {
    blockInput = x
    blockInputScale = nil
  }

  /// Runs `images` as one batch; the bottlenecks stay in `pooledOut` ([2048][N]).
  func run(_ images: ArraySlice<RGBImage>, team: WorkerTeam? = nil) {
    let n = images.count
    batch = n
    self.team = team
    defer { self.team = nil }
    // Where the host has put the team's cores decides how the Winograd layers store their
    // transformed tiles (see `convolveWinograd`).
    team?.refreshPlacement()
    let side = InceptionConstants.inputSide
    let x = input.reserve(3 * n * side * side)
    timed(profile, "input (resize, normalise)") {
      for (j, image) in images.enumerated() {
        InceptionInput.write(image, into: x, index: j, batch: n)
      }
    }
    let count = InceptionConstants.bottleneckSize * n
    if pooledOut.count < count { pooledOut = [Float](repeating: 0, count: count) }
    pooledOut.withUnsafeMutableBufferPointer { p in
      guard let out = p.baseAddress else { return }
      forward(x, into: out)
    }
  }

  /// Appends the last run's bottlenecks, one array per image.
  func appendResults(to result: inout [[Float]]) {
    let features = InceptionConstants.bottleneckSize
    let n = batch
    for j in 0..<n {
      var v = [Float](repeating: 0, count: features)
      for c in 0..<features { v[c] = pooledOut[c * n + j] }
      result.append(v)
    }
  }

  // MARK: - The network

  /// Runs the batch in `x` ([3][N][299][299]) and writes `[2048][N]` into `out`.
  private func forward(_ x: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
    let n = batch
    var h = InceptionConstants.inputSide
    var w = h
    var a: UnsafeMutablePointer<Float>
    var b: UnsafeMutablePointer<Float>
    beginBlock(nil)
    // Stem.
    (a, h, w) = conv("conv", x, h, w, into: bufferA)
    (b, h, w) = conv("conv_1", a, h, w, into: bufferB)
    (a, h, w) = conv("conv_2", b, h, w, into: bufferA)
    (b, h, w) = maxPool(a, channels: 64, h, w, stride: 2, padding: 0, into: bufferB)
    (a, h, w) = conv("conv_3", b, h, w, into: bufferA)
    (b, h, w) = conv("conv_4", a, h, w, into: bufferB)
    (a, h, w) = maxPool(b, channels: 192, h, w, stride: 2, padding: 0, into: bufferA)
    // 35x35, then 17x17, then 8x8: each block reads `x` (in `current`) and writes `next`.
    var current = bufferA
    var next = bufferB
    var x = a
    var channels = 192
    for name in ["mixed", "mixed_1", "mixed_2"] {
      (x, channels) = blockA(name, x, channels: channels, h, w, into: next)
      swap(&current, &next)
    }
    (channels, h, w) = blockB(x, channels: channels, h, w, into: next)
    x = next.pointer
    swap(&current, &next)
    for name in ["mixed_4", "mixed_5", "mixed_6", "mixed_7"] {
      (x, channels) = blockC(name, x, channels: channels, h, w, into: next)
      swap(&current, &next)
    }
    (channels, h, w) = blockD(x, channels: channels, h, w, into: next)
    x = next.pointer
    swap(&current, &next)
    for name in ["mixed_9", "mixed_10"] {
      (x, channels) = blockE(
        name, x, channels: channels, h, w, lastPoolIsMax: name == "mixed_10", into: next)
      swap(&current, &next)
    }
    a = x
    precondition(channels == InceptionConstants.bottleneckSize && h == 8 && w == 8)
    timed(profile, "pools") {
      globalAveragePool(input: a, planes: channels * n, size: h * w, output: out)
    }
  }

  /// Runs layer `key` on `x` into `buffer` (grown as needed); returns its output and size.
  private func conv(
    _ key: String, _ x: UnsafePointer<Float>, _ h: Int, _ w: Int, into buffer: FloatBuffer
  ) -> (UnsafeMutablePointer<Float>, Int, Int) {
    let c = weights.conv(key)
    let (oh, ow) = c.shape.outputSize(height: h, width: w)
    let out = buffer.reserve(c.shape.outChannels * batch * oh * ow)
    apply(key, c, x, h, w, output: out)
    return (out, oh, ow)
  }

  /// Runs layer `key` on `x` into rows starting at channel `channel` of `out` (a concatenation).
  @discardableResult
  private func conv(
    _ key: String, _ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
    into out: UnsafeMutablePointer<Float>, channel: Int
  ) -> Int {
    let c = weights.conv(key)
    let (oh, ow) = c.shape.outputSize(height: h, width: w)
    apply(key, c, x, h, w, output: out + channel * batch * oh * ow)
    return channel + c.shape.outChannels
  }

  /// Convolution + bias + ReLU of layer `key`: Winograd where prepared, else GEMM (+ im2col).
  /// `biasReLU: false` (1x1 layers): the plain product, for ``pooledConv(_:_:_:_:into:channel:)``.
  private func apply(
    _ key: String, _ c: FoldedConv, _ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
    output: UnsafeMutablePointer<Float>, biasReLU: Bool = true
  ) {
    // The 8x8 layers by F(2x2, 3x3) (16 tiles an image; F(4x4, 3x3) gives them 4, and was
    // slower even at batch 16), the others by F(4x4, 3x3) where there are enough tiles.
    let q = int8?[key]
    let forms = q == nil ? fp32 : nil
    let wino =
      forms?.winogradSmall[key]
      ?? forms?.winograd[key].flatMap {
        batch * WinogradConv.tiles(height: h, width: w, m: $0.m) >= 48 ? $0 : nil
      }
    // The 1D form (1x7, 7x1 at 17x17: 85 columns an image) whatever the batch.
    let wino1D = oneDimensionalWinograd ? forms?.winograd1D[key] : nil
    precondition(biasReLU || (wino == nil && wino1D == nil))
    if let observer {
      let input = UnsafeBufferPointer(start: x, count: c.shape.inChannels * batch * h * w)
      for original in InceptionLayers.originalKeys(key) { observer(original, input) }
    }
    let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
    if let q {
      convolveInt8(q, x, h, w, output: output, biasReLU: biasReLU)
    } else if let wino1D {
      convolveWinograd1D(
        wino1D, input: x, batch: batch, height: h, width: w, output: output,
        transformed: columns, products: products, team: team, profile: profile)
    } else if let wino {
      convolveWinograd(
        wino, input: x, batch: batch, height: h, width: w, output: output,
        transformed: columns, products: products, team: team, profile: profile,
        stream: team == nil ? nil : streamOverride)
    } else {
      convolve(
        forms?.convs[key] ?? c, input: x, batch: batch, height: h, width: w, output: output,
        columns: columns, team: team, profile: profile, biasReLU: biasReLU)
    }
    if let profile {
      let s = c.shape
      let (oh, ow) = s.outputSize(height: h, width: w)
      var kind: String
      switch (s.kernelH, s.kernelW, s.stride) {
      case (1, 1, _): kind = "1x1"
      case (3, 3, 2): kind = "3x3 stride 2"
      case (3, 3, _): kind = wino != nil ? "3x3 (Winograd)" : "3x3 (im2col)"
      case (5, 5, _): kind = wino != nil ? "5x5 (Winograd)" : "5x5 (im2col)"
      case (1, 7, _), (7, 1, _): kind = wino1D != nil ? "1x7/7x1 (Winograd)" : "1x7/7x1"
      case (1, 3, _), (3, 1, _): kind = wino1D != nil ? "1x3/3x1 (Winograd)" : "1x3/3x1"
      default: kind = "\(s.kernelH)x\(s.kernelW)"
      }
      if q != nil { kind = "int8 \(s.kernelH)x\(s.kernelW)" + (s.stride > 1 ? " stride 2" : "") }
      let macs = Double(s.outChannels * s.filterLength * oh * ow * batch)
      let elapsed = DispatchTime.now().uptimeNanoseconds - start
      profile.add(kind, nanoseconds: elapsed, multiplyAdds: macs)
      profile.add("@\(key)", nanoseconds: elapsed, multiplyAdds: macs)
    }
  }

  /// Layer `q` in int8 on `x` into `output`: the input quantized (once per block input), the
  /// int8 GEMM (on the im2col matrix of the quantized words where the kernel is not 1x1, packed
  /// block by block inside it), then `acc * scale + bias` and ReLU, or the requantized value
  /// (``Int8Conv``), into `output`. (An int8 tower of an
  /// average pool and a 1x1 layer pools first: ``pooledConv(_:_:_:_:into:channel:)``.)
  private func convolveInt8(
    _ q: Int8Conv, _ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
    output: UnsafeMutablePointer<Float>, biasReLU: Bool
  ) {
    precondition(biasReLU, "an int8 layer always adds its bias and ReLU")
    let s = q.shape
    let plane = batch * h * w
    let groups = q.groups
    let words = quantizedInput(q, x, h, w)
    let (oh, ow) = s.outputSize(height: h, width: w)
    let ohw = oh * ow
    let total = batch * ohw
    withEpilogue(q) { sp, bp, requantized in
      if s.isPointwise {
        q.matrix.multiply(
          team: team, b: words, ldb: plane, n: plane, c: output, ldc: plane, scale: sp, bias: bp,
          relu: true, requantized: requantized)
        return
      }
      // im2col inside the GEMM: each block of its columns packed from the words directly.
      q.matrix.convolve(
        team: team, input: words, groups: groups, batch: batch, height: h, width: w,
        kernelH: s.kernelH, kernelW: s.kernelW, stride: s.stride, padH: s.padH, padW: s.padW,
        first: 0, count: batch, outputRows: 0..<oh, c: output, ldc: total, scale: sp, bias: bp,
        relu: true, requantized: requantized)
    }
  }

  /// `q`'s input `x` quantized into k-grouped words (a block input once per scale).
  private func quantizedInput(
    _ q: Int8Conv, _ x: UnsafePointer<Float>, _ h: Int, _ w: Int
  ) -> UnsafeMutablePointer<UInt32> {
    let plane = batch * h * w
    let groups = q.groups
    let isBlockInput = blockInput == x
    let buffer = isBlockInput ? blockWords : inputWords
    let words = buffer.reserve(groups * plane)
    if !(isBlockInput && blockInputScale == q.inputScale) {
      let scale = q.inputScale
      let zero = q.inputZeroPoint
      let path = q.matrix.path.code
      let channels = Int32(q.shape.inChannels)
      timed(profile, "· int8 quantize") {
        split(team) { part, parts in
          let g = share(part, of: parts, count: groups)
          hero_i8_quantize(
            x, channels, plane, scale, zero, Int32(g.lowerBound), Int32(g.upperBound), words, path)
        }
      }
      if isBlockInput { blockInputScale = q.inputScale }
    }
    return words
  }

  /// `body` with `q`'s per-row multipliers and float biases, and its integer biases and output
  /// scales where it requantizes (``Int8Conv``).
  private func withEpilogue(
    _ q: Int8Conv,
    _ body: (
      UnsafePointer<Float>, UnsafePointer<Float>,
      (bias: UnsafePointer<Int32>, outputScale: UnsafePointer<Float>)?
    ) -> Void
  ) {
    q.requantScales.withUnsafeBufferPointer { scales in
      q.bias.withUnsafeBufferPointer { bias in
        q.integerBias.withUnsafeBufferPointer { integerBias in
          q.outputScales.withUnsafeBufferPointer { outputScales in
            guard let sp = scales.baseAddress, let bp = bias.baseAddress,
              let ib = integerBias.baseAddress, let os = outputScales.baseAddress
            else { return }
            body(sp, bp, q.requantizes ? (ib, os) : nil)
          }
        }
      }
    }
  }

  private func maxPool(
    _ x: UnsafePointer<Float>, channels: Int, _ h: Int, _ w: Int, stride: Int, padding: Int,
    into buffer: FloatBuffer
  ) -> (UnsafeMutablePointer<Float>, Int, Int) {
    let oh = (h + 2 * padding - 3) / stride + 1
    let ow = (w + 2 * padding - 3) / stride + 1
    let out = buffer.reserve(channels * batch * oh * ow)
    maxPoolSplit(x, planes: channels * batch, h, w, stride: stride, padding: padding, output: out)
    return (out, oh, ow)
  }

  /// A tower of an average pool and a 1x1 convolution (`key`), on `x`, into rows starting at
  /// channel `channel` of `out`; returns the channel after them. Both are linear and the pool
  /// treats every channel alike, so the convolution runs first, without its bias and ReLU, and
  /// the pool after it adds them: it then averages the layer's `outChannels` planes instead of
  /// the block input's `channels` (192 instead of 768 in mixed_4–7, 192 instead of 1280 in
  /// mixed_9). The same sums in another order: the result differs by rounding only.
  private func pooledConv(
    _ key: String, _ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
    into out: UnsafeMutablePointer<Float>, channel: Int
  ) -> Int {
    let c = weights.conv(key)
    let cout = c.shape.outChannels
    if let q = int8?[key] {
      pooledConvInt8(key, q, x, h, w, output: out + channel * batch * h * w)
      return channel + cout
    }
    let planes = cout * batch
    let product = pooled.reserve(planes * h * w)
    apply(key, c, x, h, w, output: product, biasReLU: false)
    let dst = out + channel * batch * h * w
    let batch = batch
    timed(profile, "pools") {
      c.bias.withUnsafeBufferPointer { bias in
        split(team) { part, parts in
          let p = share(part, of: parts, count: planes)
          averagePool3x3(
            input: product + p.lowerBound * h * w, planes: p.count, height: h, width: w,
            output: dst + p.lowerBound * h * w, bias: bias.baseAddress, batch: batch,
            firstPlane: p.lowerBound)
        }
      }
    }
    return channel + cout
  }

  /// The int8 form of ``pooledConv(_:_:_:_:into:channel:)`` as the int8 export computes it:
  /// the block input quantized (`x` is on that grid already: the layers before requantize for
  /// it), average-pooled in uint8 (`hero_i8_average_pool`, ONNX Runtime's
  /// `QLinearAveragePool` arithmetic), then the 1x1 layer with its bias and ReLU.
  private func pooledConvInt8(
    _ key: String, _ q: Int8Conv, _ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
    output: UnsafeMutablePointer<Float>
  ) {
    if let observer {
      let input = UnsafeBufferPointer(start: x, count: q.shape.inChannels * batch * h * w)
      observer(key, input)
    }
    let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
    let plane = batch * h * w
    let groups = q.groups
    let words = quantizedInput(q, x, h, w)
    // Room for the GEMM's reads past the last column (see `hero_i8_multiply`).
    let pooledWords = self.pooledWords.reserve(groups * plane + 64)
    let (batch, scale, path) = (batch, q.inputScale, q.matrix.path.code)
    timed(profile, "· int8 average pools") {
      split(team) { part, parts in
        let g = share(part, of: parts, count: groups)
        hero_i8_average_pool(
          words, Int32(batch), Int32(h), Int32(w), scale, Int32(g.lowerBound),
          Int32(g.upperBound), pooledWords, path)
      }
    }
    withEpilogue(q) { sp, bp, requantized in
      q.matrix.multiply(
        team: team, b: pooledWords, ldb: plane, n: plane, c: output, ldc: plane, scale: sp,
        bias: bp, relu: true, requantized: requantized)
    }
    if let profile {
      let s = q.shape
      let macs = Double(s.outChannels * s.filterLength * plane)
      let elapsed = DispatchTime.now().uptimeNanoseconds - start
      profile.add("int8 1x1", nanoseconds: elapsed, multiplyAdds: macs)
      profile.add("@\(key)", nanoseconds: elapsed, multiplyAdds: macs)
    }
  }

  /// A 3x3 max pool of `planes` planes, split by plane across the team.
  private func maxPoolSplit(
    _ x: UnsafePointer<Float>, planes: Int, _ h: Int, _ w: Int, stride: Int, padding: Int,
    output: UnsafeMutablePointer<Float>
  ) {
    let oh = (h + 2 * padding - 3) / stride + 1
    let ow = (w + 2 * padding - 3) / stride + 1
    timed(profile, "pools") {
      split(team) { part, parts in
        let p = share(part, of: parts, count: planes)
        maxPool3x3(
          input: x + p.lowerBound * h * w, planes: p.count, height: h, width: w, stride: stride,
          padding: padding, output: output + p.lowerBound * oh * ow)
      }
    }
  }

  /// A block's output (`channels` rows of `batch * h * w`) in `buffer`, with `headroom` rows
  /// before it: a block's stacked 1x1 GEMM writes its temporaries there and its own `conv`
  /// rows straight into the concatenation.
  private func outputRows(
    _ buffer: FloatBuffer, headroom: Int = 0, channels: Int, _ h: Int, _ w: Int
  ) -> UnsafeMutablePointer<Float> {
    let plane = batch * h * w
    return buffer.reserve((headroom + channels) * plane) + headroom * plane
  }

  /// InceptionA: [conv 1x1, tower (1x1, 5x5), tower_1 (1x1, 3x3, 3x3), tower_2 (avg pool, 1x1)].
  private func blockA(
    _ name: String, _ x: UnsafePointer<Float>, channels: Int, _ h: Int, _ w: Int,
    into buffer: FloatBuffer
  ) -> (UnsafeMutablePointer<Float>, Int) {
    beginBlock(x)
    let outChannels = 64 + 64 + 96 + weights.conv("\(name).tower_2.conv").shape.outChannels
    // Stacked 1x1: rows -112..<-64 tower.conv, -64..<0 tower_1.conv, 0..<64 conv.
    let out = outputRows(buffer, headroom: 48 + 64, channels: outChannels, h, w)
    let plane = batch * h * w
    var c = conv("\(name).\(InceptionLayers.stackedKey)", x, h, w, into: out, channel: -112)
    let tower = out - 112 * plane
    let tower1 = out - 64 * plane
    c = conv("\(name).tower.conv_1", tower, h, w, into: out, channel: c)
    let (t2, _, _) = conv("\(name).tower_1.conv_1", tower1, h, w, into: temp2)
    c = conv("\(name).tower_1.conv_2", t2, h, w, into: out, channel: c)
    c = pooledConv("\(name).tower_2.conv", x, h, w, into: out, channel: c)
    return (out, c)
  }

  /// InceptionB (mixed_3): [conv 3x3/2, tower (1x1, 3x3, 3x3/2), max pool 3x3/2].
  private func blockB(
    _ x: UnsafePointer<Float>, channels: Int, _ h: Int, _ w: Int, into buffer: FloatBuffer
  ) -> (Int, Int, Int) {
    beginBlock(x)
    let oh = (h - 3) / 2 + 1
    let ow = (w - 3) / 2 + 1
    let out = outputRows(buffer, channels: 384 + 96 + channels, oh, ow)
    var c = conv("mixed_3.conv", x, h, w, into: out, channel: 0)
    let (t1, _, _) = conv("mixed_3.tower.conv", x, h, w, into: temp1)
    let (t2, _, _) = conv("mixed_3.tower.conv_1", t1, h, w, into: temp2)
    c = conv("mixed_3.tower.conv_2", t2, h, w, into: out, channel: c)
    maxPoolSplit(
      x, planes: channels * batch, h, w, stride: 2, padding: 0, output: out + c * batch * oh * ow)
    return (c + channels, oh, ow)
  }

  /// InceptionC: [conv 1x1, tower (1x1, 1x7, 7x1), tower_1 (1x1, 7x1, 1x7, 7x1, 1x7),
  /// tower_2 (avg pool, 1x1)].
  private func blockC(
    _ name: String, _ x: UnsafePointer<Float>, channels: Int, _ h: Int, _ w: Int,
    into buffer: FloatBuffer
  ) -> (UnsafeMutablePointer<Float>, Int) {
    beginBlock(x)
    // Stacked 1x1: rows -2c7..<-c7 tower.conv, -c7..<0 tower_1.conv, 0..<192 conv.
    let c7 = weights.conv("\(name).tower.conv").shape.outChannels
    let out = outputRows(buffer, headroom: 2 * c7, channels: 768, h, w)
    let plane = batch * h * w
    var c = conv("\(name).\(InceptionLayers.stackedKey)", x, h, w, into: out, channel: -2 * c7)
    let tower = out - 2 * c7 * plane
    let tower1 = out - c7 * plane
    var (t2, _, _) = conv("\(name).tower.conv_1", tower, h, w, into: temp2)
    c = conv("\(name).tower.conv_2", t2, h, w, into: out, channel: c)
    (t2, _, _) = conv("\(name).tower_1.conv_1", tower1, h, w, into: temp2)
    let (t1, _, _) = conv("\(name).tower_1.conv_2", t2, h, w, into: temp1)
    (t2, _, _) = conv("\(name).tower_1.conv_3", t1, h, w, into: temp2)
    c = conv("\(name).tower_1.conv_4", t2, h, w, into: out, channel: c)
    c = pooledConv("\(name).tower_2.conv", x, h, w, into: out, channel: c)
    return (out, c)
  }

  /// InceptionD (mixed_8): [tower (1x1, 3x3/2), tower_1 (1x1, 1x7, 7x1, 3x3/2), max pool 3x3/2].
  private func blockD(
    _ x: UnsafePointer<Float>, channels: Int, _ h: Int, _ w: Int, into buffer: FloatBuffer
  ) -> (Int, Int, Int) {
    beginBlock(x)
    let oh = (h - 3) / 2 + 1
    let ow = (w - 3) / 2 + 1
    let out = outputRows(buffer, channels: 320 + 192 + channels, oh, ow)
    // Stacked 1x1 into temp1: rows 0..<192 tower.conv, 192..<384 tower_1.conv.
    var (t1, _, _) = conv("mixed_8.\(InceptionLayers.stackedKey)", x, h, w, into: temp1)
    let tower1 = t1 + 192 * batch * h * w
    var c = conv("mixed_8.tower.conv_1", t1, h, w, into: out, channel: 0)
    let (t2, _, _) = conv("mixed_8.tower_1.conv_1", tower1, h, w, into: temp2)
    (t1, _, _) = conv("mixed_8.tower_1.conv_2", t2, h, w, into: temp1)
    c = conv("mixed_8.tower_1.conv_3", t1, h, w, into: out, channel: c)
    maxPoolSplit(
      x, planes: channels * batch, h, w, stride: 2, padding: 0, output: out + c * batch * oh * ow)
    return (c + channels, oh, ow)
  }

  /// InceptionE: [conv 1x1, tower_mixed_conv 1x3 (a), tower_mixed_conv_1 3x1 (a),
  /// tower_1_mixed_conv 1x3 (b), tower_1_mixed_conv_1 3x1 (b), tower_2 (pool, 1x1)] with
  /// a = tower_conv(x), b = tower_1_conv_1(tower_1_conv(x)); the pool is an average pool in
  /// mixed_9 and a 3x3/1 max pool in mixed_10.
  private func blockE(
    _ name: String, _ x: UnsafePointer<Float>, channels: Int, _ h: Int, _ w: Int,
    lastPoolIsMax: Bool, into buffer: FloatBuffer
  ) -> (UnsafeMutablePointer<Float>, Int) {
    beginBlock(x)
    // Stacked 1x1: rows -832..<-448 tower_conv (a), -448..<0 tower_1_conv, 0..<320 conv.
    let out = outputRows(buffer, headroom: 384 + 448, channels: 2048, h, w)
    let plane = batch * h * w
    var c = conv("\(name).\(InceptionLayers.stackedKey)", x, h, w, into: out, channel: -832)
    let a = out - 832 * plane
    let b0 = out - 448 * plane
    c = conv("\(name).tower_mixed_conv", a, h, w, into: out, channel: c)
    c = conv("\(name).tower_mixed_conv_1", a, h, w, into: out, channel: c)
    let (b, _, _) = conv("\(name).tower_1_conv_1", b0, h, w, into: temp2)
    c = conv("\(name).tower_1_mixed_conv", b, h, w, into: out, channel: c)
    c = conv("\(name).tower_1_mixed_conv_1", b, h, w, into: out, channel: c)
    if lastPoolIsMax {
      let (p, _, _) = maxPool(x, channels: channels, h, w, stride: 1, padding: 1, into: pooled)
      c = conv("\(name).tower_2_conv", p, h, w, into: out, channel: c)
    } else {
      c = pooledConv("\(name).tower_2_conv", x, h, w, into: out, channel: c)
    }
    return (out, c)
  }
}

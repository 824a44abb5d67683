import Foundation
import HeroCore

/// The weights of Inception v3 (2015-12-05) as shipped in `default_1.pt`, checked and with batch
/// norm folded in: immutable after ``load(path:)`` and shared by every task's ``InceptionV3``.
///
/// The file is a TorchScript archive: a zip of stored entries (see ``ZipArchive``) holding
/// `out_jit_module/data.pkl`, a protocol-2 pickle of the module tree (see ``Pickle``), and the
/// raw little-endian float32 storages `out_jit_module/data/<key>`. Each `Conv2dLayer` in the tree
/// has the parameters `weight` [out, in, kh, kw], `beta`, `mean`, `var` [out] (tensors rebuilt by
/// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, the storage a
/// persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`) and the ints `stride`,
/// `padding` (an int, or `torch.jit._pickle.build_intlist([h, w])`). ``InceptionLayers/table``
/// lists every layer with its expected shape, stride and padding; all of it is checked.
public final class InceptionWeights: @unchecked Sendable {
  /// Lower-case hex SHA-1 of the file that was loaded.
  public let sha1: String
  /// The folded convolutions by layer key (e.g. `mixed_4.tower.conv_1`), a block's stacked 1x1
  /// layers included, unpacked.
  let convs: [String: FoldedConv]
  /// Whether the fp32 forms pack weights for hero-id's GEMM kernel, and the Winograd build.
  private let usePackedGEMM: Bool
  private let transforms: WinogradPath

  /// What the fp32 forward pass runs on: the weights packed for the GEMM kernel and the
  /// Winograd forms. Built on first use (an int8 network never needs them), then kept.
  struct FP32Forms {
    /// The folded convolutions, packed where the GEMM kernel multiplies them.
    let convs: [String: FoldedConv]
    /// The 3x3 and 5x5 stride-1 layers in Winograd form.
    let winograd: [String: WinogradConv]
    /// The 3x3 layers at 8x8 in F(2x2, 3x3) form (instead of F(4x4, 3x3)).
    let winogradSmall: [String: WinogradConv]
    /// The 1x7, 7x1, 1x3 and 3x1 layers in 1D Winograd form, F(4, 7) and F(4, 3).
    let winograd1D: [String: WinogradConv1D]
  }
  private let fp32Lock = NSLock()
  private var fp32Built: FP32Forms?

  /// The fp32 forms, built on first use (the layers spread over the cores: a tenth of a second
  /// of start-up on one).
  var fp32: FP32Forms {
    fp32Lock.withLock {
      if let built = fp32Built { return built }
      let built = Self.prepare(convs, packedGEMM: usePackedGEMM, transforms: transforms)
      fp32Built = built
      return built
    }
  }

  /// The 3x3 and 5x5 stride-1 layers in Winograd form.
  var winograd: [String: WinogradConv] { fp32.winograd }
  /// The 3x3 layers at 8x8 in F(2x2, 3x3) form (instead of F(4x4, 3x3)).
  var winogradSmall: [String: WinogradConv] { fp32.winogradSmall }
  /// The 1x7, 7x1, 1x3 and 3x1 layers in 1D Winograd form, F(4, 7) and F(4, 3).
  var winograd1D: [String: WinogradConv1D] { fp32.winograd1D }

  /// The weights `convs` (by key) of the file with hash `sha1`, for the forward pass: with
  /// `packedGEMM` (the default where the CPU has AVX2 and FMA) the fp32 products run on weights
  /// packed for hero-id's GEMM kernel, else all through OpenBLAS; the Winograd transforms run
  /// on `transforms` (by default ``WinogradPath/current``). Those fp32 forms are prepared on the
  /// first fp32 network (``fp32``), the int8 forms on the first int8 one.
  public init(
    sha1: String, convs: [String: FoldedConv], packedGEMM: Bool = Kernels.packedGEMM,
    transforms: WinogradPath = .current
  ) {
    self.sha1 = sha1
    var convs = convs.mapValues { c -> FoldedConv in
      var plain = c
      plain.packed = nil
      return plain
    }
    // The 1x1 layers of a block that read the block's input, stacked into one GEMM; the order
    // puts the temporaries first and the block's own `conv` last (see ``ForwardPass``).
    for (block, keys) in InceptionLayers.stacked1x1 {
      let parts = keys.compactMap { convs[block + "." + $0] }
      precondition(parts.count == keys.count, "stacked 1x1 layers of \(block) missing")
      convs[block + "." + InceptionLayers.stackedKey] = FoldedConv.stacked(
        parts, key: block + "." + InceptionLayers.stackedKey)
    }
    self.convs = convs
    usePackedGEMM = packedGEMM
    self.transforms = transforms
  }

  /// The filters' Winograd forms and the weights packed for the GEMM kernel, the layers spread
  /// over the cores.
  private static func prepare(
    _ convs: [String: FoldedConv], packedGEMM: Bool, transforms: WinogradPath
  ) -> FP32Forms {
    // The layers that only ever run as part of a stacked GEMM.
    let stackedParts = Set(
      InceptionLayers.stacked1x1.flatMap { block, keys in keys.map { block + "." + $0 } })
    let all = convs.sorted { $0.key < $1.key }
    let prepared = Prepared(count: all.count)
    DispatchQueue.concurrentPerform(iterations: all.count) { i in
      let (key, c) = all[i]
      // The 8x8 layers' only form is F(2x2, 3x3) (see `InceptionV3`).
      let small =
        InceptionLayers.smallPlane3x3.contains(key)
        ? WinogradConv(c, alpha: 4, packed: packedGEMM, transforms: transforms) : nil
      let one = small == nil ? WinogradConv(c, packed: packedGEMM, transforms: transforms) : nil
      let oneD =
        [3, 7].contains(c.shape.kernelH * c.shape.kernelW)
        ? WinogradConv1D(c, packed: packedGEMM, transforms: transforms) : nil
      // The 1xr/rx1 layers run by their 1D Winograd form (or, for comparisons, by OpenBLAS).
      let packed =
        packedGEMM && oneD == nil && small == nil && !stackedParts.contains(key)
        ? c.packedForKernel() : c
      prepared.lock.withLock {
        prepared.winograd[i] = one
        prepared.winogradSmall[i] = small
        prepared.winograd1D[i] = oneD
        prepared.convs[i] = packed
      }
    }
    var w: [String: WinogradConv] = [:]
    var w2: [String: WinogradConv] = [:]
    var w1: [String: WinogradConv1D] = [:]
    var packedConvs = convs
    for (i, key) in all.map(\.key).enumerated() {
      w[key] = prepared.winograd[i]
      w2[key] = prepared.winogradSmall[i]
      w1[key] = prepared.winograd1D[i]
      packedConvs[key] = prepared.convs[i]
    }
    return FP32Forms(convs: packedConvs, winograd: w, winogradSmall: w2, winograd1D: w1)
  }

  /// The Winograd forms being prepared, one slot per layer.
  private final class Prepared: @unchecked Sendable {
    let lock = NSLock()
    var winograd: [WinogradConv?]
    var winogradSmall: [WinogradConv?]
    var winograd1D: [WinogradConv1D?]
    var convs: [FoldedConv?]
    var int8: [Int8Conv?]
    init(count: Int) {
      int8 = Array(repeating: nil, count: count)
      convs = Array(repeating: nil, count: count)
      winograd = Array(repeating: nil, count: count)
      winogradSmall = Array(repeating: nil, count: count)
      winograd1D = Array(repeating: nil, count: count)
    }
  }

  /// The int8 forms last built (see ``int8Layers(calibration:path:)``).
  private let int8Lock = NSLock()
  private var int8Cache: (Int8Calibration, Int8Path, [String: Int8Conv])?

  /// The int8 forms of the layers the forward pass runs (all of them; a block's stacked 1x1
  /// as one), quantized by the shared scheme with the input ranges of `calibration` and packed
  /// for `path`: built on first use (the layers spread over the cores) and kept for the next
  /// network of the same calibration and path. A stacked layer's input range is its members'
  /// (the same tensor; the largest, should a table disagree).
  func int8Layers(calibration: Int8Calibration, path: Int8Path) -> [String: Int8Conv] {
    int8Lock.withLock {
      if let (c, p, layers) = int8Cache, c == calibration, p == path { return layers }
      let stackedParts = Set(
        InceptionLayers.stacked1x1.flatMap { block, keys in keys.map { block + "." + $0 } })
      let keys = convs.keys.filter { !stackedParts.contains($0) }.sorted()
      // Each layer's input scale, under its original keys (a stacked layer's for its members);
      // the first layer's is fixed (``Int8Calibration/firstLayerInput``).
      var inputScales: [String: Float] = ["conv": Int8Calibration.firstLayerInput.scale]
      for key in keys where key != "conv" {
        let ranges = InceptionLayers.originalKeys(key).map { calibration.inputRanges[$0] }
        let known = ranges.compactMap { $0 }
        guard known.count == ranges.count, let range = known.max(), range.isFinite, range > 0
        else { preconditionFailure("int8 calibration has no valid range for \(key)") }
        for original in InceptionLayers.originalKeys(key) { inputScales[original] = range / 255 }
      }
      let built = Prepared(count: keys.count)
      let convs = self.convs
      let scales = inputScales
      DispatchQueue.concurrentPerform(iterations: keys.count) { i in
        let key = keys[i]
        let originals = InceptionLayers.originalKeys(key)
        guard let conv = convs[key], let inputScale = scales[originals[0]] else { return }
        // Each output row's reading layer's scale (0: none reads it in int8).
        var outputScales: [Float] = []
        for original in originals {
          guard let part = convs[original] else { preconditionFailure("no layer \(original)") }
          let rows = part.shape.outChannels
          let scale = InceptionLayers.consumers[original].flatMap { scales[$0] } ?? 0
          outputScales += [Float](repeating: scale, count: rows)
        }
        let q = Int8Conv(
          conv, inputScale: inputScale, outputScales: outputScales,
          inputZeroPoint: key == "conv" ? Int8Calibration.firstLayerInput.zeroPoint : 0, path: path)
        built.lock.withLock { built.int8[i] = q }
      }
      var layers: [String: Int8Conv] = [:]
      for (i, key) in keys.enumerated() { layers[key] = built.int8[i] }
      int8Cache = (calibration, path, layers)
      return layers
    }
  }

  /// The folded convolution for a key of ``InceptionLayers/table`` (unpacked: its shape,
  /// weights and bias; ``fp32`` has the packed forms).
  func conv(_ key: String) -> FoldedConv {
    guard let c = convs[key] else { preconditionFailure("no layer \(key) in the table") }
    return c
  }

  /// The folded convolution (batch norm already in its weights and bias) of a key of
  /// ``InceptionLayers/table``, for readers outside this module (the ONNX export); nil for an
  /// unknown key.
  public func foldedConv(_ key: String) -> FoldedConv? { convs[key] }

  /// Whether the forward pass multiplies by packed weights (hero-id's GEMM kernel) or calls
  /// OpenBLAS for every product.
  public var packedGEMM: Bool { fp32.convs.values.contains { $0.packed != nil } }

  /// The build the Winograd transforms run (nil without Winograd layers).
  public var winogradPath: WinogradPath? {
    winograd.values.first?.transforms ?? winograd1D.values.first?.transforms
  }

  /// The same weights with the Winograd transforms on `transforms` (for comparisons and tests).
  public func withTransforms(_ transforms: WinogradPath) -> InceptionWeights {
    InceptionWeights(sha1: sha1, convs: convs, packedGEMM: usePackedGEMM, transforms: transforms)
  }

  /// The same weights as a CPU without AVX2 and FMA runs them: every product on OpenBLAS, the
  /// Winograd transforms' baseline build (for comparisons and tests).
  public func openBLASOnly() -> InceptionWeights {
    InceptionWeights(sha1: sha1, convs: convs, packedGEMM: false, transforms: .baseline)
  }
}

/// The layers of the network, named after their keys in `data.pkl` (below `net.layers.`), with
/// the geometry `out_jit_module/code/__torch__/inceptionv3.py` gives them. The one table that
/// maps weight keys to layers.
public enum InceptionLayers {
  /// The key of a block's stacked 1x1 layers.
  static let stackedKey = "stacked_1x1"

  /// The original layer keys a forward-pass key stands for: the members of a block's stacked
  /// 1x1 layer (`mixed.stacked_1x1` → `mixed.tower.conv`, `mixed.tower_1.conv`, `mixed.conv`),
  /// or the key itself.
  static func originalKeys(_ key: String) -> [String] {
    guard key.hasSuffix("." + stackedKey) else { return [key] }
    let block = String(key.dropLast(stackedKey.count + 1))
    return stacked1x1.first { $0.0 == block }?.1.map { block + "." + $0 } ?? [key]
  }

  /// The 3x3 stride-1 layers at 8x8, run by F(2x2, 3x3) (16 tiles an image) instead of
  /// F(4x4, 3x3) (4 tiles an image: at batch 1 im2col was faster, and F(2x2, 3x3) is faster
  /// than both at batch 1, 8 and 16).
  static let smallPlane3x3: Set<String> = ["mixed_9.tower_1_conv_1", "mixed_10.tower_1_conv_1"]

  /// The layer whose input each layer's output is (through pools and concatenations), by
  /// original key: the next layer of its tower, or the first layer of the next block for a
  /// tower's last layer. mixed_10's last layers have none (the final average pool reads them).
  /// An int8 layer stores its output on that layer's uint8 grid (``Int8Conv``), as the int8
  /// export's graph quantizes it (`InceptionGraph`).
  public static let consumers: [String: String] = {
    var m: [String: String] = [:]
    func chain(_ keys: [String], then next: String?) {
      for (i, key) in keys.enumerated() {
        if let c = i + 1 < keys.count ? keys[i + 1] : next { m[key] = c }
      }
    }
    let blocks = [
      "mixed", "mixed_1", "mixed_2", "mixed_3", "mixed_4", "mixed_5", "mixed_6", "mixed_7",
      "mixed_8", "mixed_9", "mixed_10",
    ]
    func first(_ block: String) -> String {
      block == "mixed_8" ? "mixed_8.tower.conv" : block + ".conv"
    }
    chain(["conv", "conv_1", "conv_2", "conv_3", "conv_4"], then: first("mixed"))
    for (i, b) in blocks.enumerated() {
      let next = i + 1 < blocks.count ? first(blocks[i + 1]) : nil
      let towers: [[String]]
      switch b {
      case "mixed", "mixed_1", "mixed_2":
        towers = [
          ["conv"], ["tower.conv", "tower.conv_1"],
          ["tower_1.conv", "tower_1.conv_1", "tower_1.conv_2"], ["tower_2.conv"],
        ]
      case "mixed_3":
        towers = [["conv"], ["tower.conv", "tower.conv_1", "tower.conv_2"]]
      case "mixed_8":
        towers = [
          ["tower.conv", "tower.conv_1"],
          ["tower_1.conv", "tower_1.conv_1", "tower_1.conv_2", "tower_1.conv_3"],
        ]
      case "mixed_9", "mixed_10":
        towers = [
          ["conv"], ["tower_mixed_conv"], ["tower_mixed_conv_1"], ["tower_1_mixed_conv"],
          ["tower_1_mixed_conv_1"], ["tower_2_conv"],
        ]
        chain([b + ".tower_conv"], then: b + ".tower_mixed_conv")
        chain([b + ".tower_1_conv", b + ".tower_1_conv_1"], then: b + ".tower_1_mixed_conv")
      default:
        towers = [
          ["conv"], ["tower.conv", "tower.conv_1", "tower.conv_2"],
          ["tower_1.conv", "tower_1.conv_1", "tower_1.conv_2", "tower_1.conv_3", "tower_1.conv_4"],
          ["tower_2.conv"],
        ]
      }
      for t in towers { chain(t.map { b + "." + $0 }, then: next) }
    }
    return m
  }()

  /// Per block, the 1x1 layers on the block input that run as one GEMM, in row order.
  static let stacked1x1: [(String, [String])] =
    ["mixed", "mixed_1", "mixed_2", "mixed_4", "mixed_5", "mixed_6", "mixed_7"].map {
      ($0, ["tower.conv", "tower_1.conv", "conv"])
    } + [("mixed_8", ["tower.conv", "tower_1.conv"])]
    + ["mixed_9", "mixed_10"].map { ($0, ["tower_conv", "tower_1_conv", "conv"]) }

  public static let table: [ConvShape] = {
    var t: [ConvShape] = []
    func conv(
      _ key: String, _ inC: Int, _ outC: Int, _ kh: Int, _ kw: Int, stride: Int = 1,
      pad: (Int, Int) = (0, 0)
    ) {
      t.append(
        ConvShape(
          key: key, outChannels: outC, inChannels: inC, kernelH: kh, kernelW: kw, stride: stride,
          padH: pad.0, padW: pad.1))
    }
    conv("conv", 3, 32, 3, 3, stride: 2)
    conv("conv_1", 32, 32, 3, 3)
    conv("conv_2", 32, 64, 3, 3, pad: (1, 1))
    conv("conv_3", 64, 80, 1, 1)
    conv("conv_4", 80, 192, 3, 3)
    for (name, inC, poolC) in [("mixed", 192, 32), ("mixed_1", 256, 64), ("mixed_2", 288, 64)] {
      conv("\(name).conv", inC, 64, 1, 1)
      conv("\(name).tower.conv", inC, 48, 1, 1)
      conv("\(name).tower.conv_1", 48, 64, 5, 5, pad: (2, 2))
      conv("\(name).tower_1.conv", inC, 64, 1, 1)
      conv("\(name).tower_1.conv_1", 64, 96, 3, 3, pad: (1, 1))
      conv("\(name).tower_1.conv_2", 96, 96, 3, 3, pad: (1, 1))
      conv("\(name).tower_2.conv", inC, poolC, 1, 1)
    }
    conv("mixed_3.conv", 288, 384, 3, 3, stride: 2)
    conv("mixed_3.tower.conv", 288, 64, 1, 1)
    conv("mixed_3.tower.conv_1", 64, 96, 3, 3, pad: (1, 1))
    conv("mixed_3.tower.conv_2", 96, 96, 3, 3, stride: 2)
    for (name, c7) in [("mixed_4", 128), ("mixed_5", 160), ("mixed_6", 160), ("mixed_7", 192)] {
      conv("\(name).conv", 768, 192, 1, 1)
      conv("\(name).tower.conv", 768, c7, 1, 1)
      conv("\(name).tower.conv_1", c7, c7, 1, 7, pad: (0, 3))
      conv("\(name).tower.conv_2", c7, 192, 7, 1, pad: (3, 0))
      conv("\(name).tower_1.conv", 768, c7, 1, 1)
      conv("\(name).tower_1.conv_1", c7, c7, 7, 1, pad: (3, 0))
      conv("\(name).tower_1.conv_2", c7, c7, 1, 7, pad: (0, 3))
      conv("\(name).tower_1.conv_3", c7, c7, 7, 1, pad: (3, 0))
      conv("\(name).tower_1.conv_4", c7, 192, 1, 7, pad: (0, 3))
      conv("\(name).tower_2.conv", 768, 192, 1, 1)
    }
    conv("mixed_8.tower.conv", 768, 192, 1, 1)
    conv("mixed_8.tower.conv_1", 192, 320, 3, 3, stride: 2)
    conv("mixed_8.tower_1.conv", 768, 192, 1, 1)
    conv("mixed_8.tower_1.conv_1", 192, 192, 1, 7, pad: (0, 3))
    conv("mixed_8.tower_1.conv_2", 192, 192, 7, 1, pad: (3, 0))
    conv("mixed_8.tower_1.conv_3", 192, 192, 3, 3, stride: 2)
    for (name, inC) in [("mixed_9", 1280), ("mixed_10", 2048)] {
      conv("\(name).conv", inC, 320, 1, 1)
      conv("\(name).tower_conv", inC, 384, 1, 1)
      conv("\(name).tower_mixed_conv", 384, 384, 1, 3, pad: (0, 1))
      conv("\(name).tower_mixed_conv_1", 384, 384, 3, 1, pad: (1, 0))
      conv("\(name).tower_1_conv", inC, 448, 1, 1)
      conv("\(name).tower_1_conv_1", 448, 384, 3, 3, pad: (1, 1))
      conv("\(name).tower_1_mixed_conv", 384, 384, 1, 3, pad: (0, 1))
      conv("\(name).tower_1_mixed_conv_1", 384, 384, 3, 1, pad: (1, 0))
      conv("\(name).tower_2_conv", inC, 192, 1, 1)
    }
    return t
  }()
}

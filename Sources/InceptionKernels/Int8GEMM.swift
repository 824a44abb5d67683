import CPackedGEMM
import Foundation

/// The int8 GEMM's paths (`Sources/CPackedGEMM/int8_gemm.c`): all give the same int32 sums,
/// so the same floats.
public enum Int8Path: String, Sendable, CaseIterable {
  case scalar = "scalar"
  case avx2 = "AVX2"
  case vnni = "AVX-512 VNNI"

  var code: Int32 {
    switch self {
    case .scalar: Int32(HERO_I8_SCALAR)
    case .avx2: Int32(HERO_I8_AVX2)
    case .vnni: Int32(HERO_I8_VNNI)
    }
  }

  /// The paths this CPU runs, slowest first.
  public static let supported: [Int8Path] = allCases.filter {
    hero_i8_path_available($0.code) != 0
  }

  /// The path the int8 forward pass runs: the fastest this CPU has, unless `HERO_ID_INT8` names
  /// one (`vnni`, `avx2` or `scalar`; one the CPU lacks falls back to the fastest).
  public static let current: Int8Path = {
    let fastest = supported.last ?? .scalar
    switch ProcessInfo.processInfo.environment["HERO_ID_INT8"] {
    case "scalar": return .scalar
    case "avx2": return supported.contains(.avx2) ? .avx2 : fastest
    case "vnni": return supported.contains(.vnni) ? .vnni : fastest
    default: return fastest
    }
  }()
}

/// An int8 weight matrix (`rows`×`columns`, `columns` a multiple of 4) packed once for one
/// path's kernel. `@unchecked Sendable`: written in `init`, only read after.
final class Int8Matrix: @unchecked Sendable {
  let rows: Int
  let columns: Int
  let path: Int8Path
  private let storage: UnsafeMutableRawPointer

  /// The alignment of a split of the rows.
  static let rowAlignment = Int(HERO_I8_ROWS)

  init(_ a: [Int8], rows: Int, columns: Int, path: Int8Path) {
    precondition(rows > 0 && columns > 0 && columns % 4 == 0 && a.count == rows * columns)
    precondition(rows * columns <= Int(Int32.max))
    self.rows = rows
    self.columns = columns
    self.path = path
    let bytes = hero_i8_packed_size(Int32(rows), Int32(columns), path.code)
    var raw: UnsafeMutableRawPointer? = nil
    guard posix_memalign(&raw, 64, max(1, bytes)) == 0, let raw else {
      preconditionFailure("out of memory packing a \(rows)x\(columns) int8 matrix")
    }
    a.withUnsafeBufferPointer { p in
      hero_i8_pack(p.baseAddress, Int32(rows), Int32(columns), Int32(columns), path.code, raw)
    }
    storage = raw
  }

  deinit { free(storage) }

  /// Rows `range` (start a multiple of ``rowAlignment``) times the `n` columns of the
  /// k-grouped `b` (row g at `b + g * ldb`): dequantized into `c` (`acc * scale[i] + bias[i]`,
  /// ReLU if asked), or the raw sums into `c32`. With `requantized` (integer biases and
  /// output scales), the rows whose output scale is above 0 are requantized for the layer that
  /// reads them (`hero_i8_multiply`; `scale` is then the requantization multiplier).
  /// `c`/`c32` point at row 0, rows `ldc` apart.
  func multiply(
    rows range: Range<Int>, b: UnsafePointer<UInt32>, ldb: Int, n: Int,
    c: UnsafeMutablePointer<Float>?, c32: UnsafeMutablePointer<Int32>? = nil, ldc: Int,
    scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, relu: Bool,
    requantized: (bias: UnsafePointer<Int32>, outputScale: UnsafePointer<Float>)? = nil
  ) {
    precondition(range.lowerBound % Self.rowAlignment == 0 && range.upperBound <= rows)
    precondition(c != nil || c32 != nil)
    guard !range.isEmpty, n > 0 else { return }
    hero_i8_multiply(
      storage, Int32(rows), Int32(columns), Int32(range.lowerBound), Int32(range.upperBound), b,
      ldb, Int32(n), c, c32, ldc, scale, bias, relu ? 1 : 0, requantized?.bias,
      requantized?.outputScale, path.code)
  }

  /// ``multiply(rows:b:ldb:n:c:c32:ldc:scale:bias:relu:requantized:)`` over all rows, split
  /// across `team` along the larger of the rows and the columns (exact integers: any split
  /// gives the same).
  func multiply(
    team: WorkerTeam?, b: UnsafePointer<UInt32>, ldb: Int, n: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, scale: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, relu: Bool,
    requantized: (bias: UnsafePointer<Int32>, outputScale: UnsafePointer<Float>)? = nil
  ) {
    split(team) { part, parts in
      let (r, cols) = splitGEMM(
        m: rows, n: n, k: columns, part: part, parts: parts, rowAlignment: Self.rowAlignment)
      multiply(
        rows: r, b: b + cols.lowerBound, ldb: ldb, n: cols.count, c: c + cols.lowerBound,
        ldc: ldc, scale: scale, bias: bias, relu: relu, requantized: requantized)
    }
  }
}

extension Int8Matrix {
  /// ``multiply(team:b:ldb:n:c:ldc:scale:bias:relu:requantized:)`` with B the im2col matrix of
  /// the k-grouped `input` (`groups` groups of `batch` planes of `height`×`width` words) for a
  /// `kernelH`×`kernelW` convolution, images `first ..< first + count`, output rows
  /// `outputRows`: the columns `j · rows · ow + (oy − rows.lowerBound) · ow + ox`, never built
  /// (`hero_i8_conv` packs each block of B from `input`). Split across `team` as the product.
  func convolve(
    team: WorkerTeam?, input: UnsafePointer<UInt32>, groups: Int, batch: Int, height: Int,
    width: Int, kernelH: Int, kernelW: Int, stride: Int, padH: Int, padW: Int, first: Int,
    count: Int, outputRows: Range<Int>, c: UnsafeMutablePointer<Float>, ldc: Int,
    scale: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool,
    requantized: (bias: UnsafePointer<Int32>, outputScale: UnsafePointer<Float>)? = nil
  ) {
    let ow = (width + 2 * padW - kernelW) / stride + 1
    let n = count * outputRows.count * ow
    guard n > 0 else { return }
    split(team) { part, parts in
      let (r, cols) = splitGEMM(
        m: rows, n: n, k: columns, part: part, parts: parts, rowAlignment: Self.rowAlignment)
      convolve(
        rows: r, columns: cols, input: input, groups: groups, batch: batch, height: height,
        width: width, kernelH: kernelH, kernelW: kernelW, stride: stride, padH: padH, padW: padW,
        first: first, outputRows: outputRows, c: c, ldc: ldc, scale: scale, bias: bias,
        relu: relu, requantized: requantized)
    }
  }

  /// The rows `range` (start a multiple of ``rowAlignment``) and im2col columns `cols` of
  /// ``convolve(team:input:groups:batch:height:width:kernelH:kernelW:stride:padH:padW:first:count:outputRows:c:ldc:scale:bias:relu:requantized:)``;
  /// `c` points at row 0, column 0.
  func convolve(
    rows range: Range<Int>, columns cols: Range<Int>, input: UnsafePointer<UInt32>, groups: Int,
    batch: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, stride: Int, padH: Int,
    padW: Int, first: Int, outputRows: Range<Int>, c: UnsafeMutablePointer<Float>, ldc: Int,
    scale: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool,
    requantized: (bias: UnsafePointer<Int32>, outputScale: UnsafePointer<Float>)? = nil
  ) {
    precondition(columns == kernelH * kernelW * groups * 4)
    precondition(range.lowerBound % Self.rowAlignment == 0 && range.upperBound <= rows)
    guard !range.isEmpty, !cols.isEmpty else { return }
    hero_i8_conv(
      storage, Int32(rows), Int32(columns), Int32(range.lowerBound), Int32(range.upperBound),
      input, Int32(groups), Int32(batch), Int32(height), Int32(width), Int32(kernelH),
      Int32(kernelW), Int32(stride), Int32(padH), Int32(padW), Int32(first),
      Int32(outputRows.lowerBound), Int32(outputRows.upperBound), Int32(cols.lowerBound),
      Int32(cols.count), c + cols.lowerBound, ldc, scale, bias, relu ? 1 : 0, requantized?.bias,
      requantized?.outputScale, path.code)
  }
}

/// A growable buffer of 32-bit words (k-grouped uint8 activations), reused between calls;
/// large ones 2 MiB aligned and marked `MADV_HUGEPAGE` (the GEMM reads its rows far apart).
final class WordBuffer {
  private(set) var pointer: UnsafeMutablePointer<UInt32>
  private(set) var capacity: Int

  init() {
    capacity = 16
    pointer = Self.allocate(capacity)
  }

  deinit { free(pointer) }

  /// The buffer, grown (contents dropped) to hold at least `count` words.
  func reserve(_ count: Int) -> UnsafeMutablePointer<UInt32> {
    if count > capacity {
      free(pointer)
      capacity = count
      pointer = Self.allocate(count)
    }
    return pointer
  }

  private static func allocate(_ count: Int) -> UnsafeMutablePointer<UInt32> {
    let bytes = count * 4
    let huge = 2 << 20
    let alignment = bytes >= huge ? huge : 64
    let size = (bytes + alignment - 1) / alignment * alignment
    var raw: UnsafeMutableRawPointer? = nil
    guard posix_memalign(&raw, alignment, size) == 0, let raw else {
      preconditionFailure("out of memory allocating \(bytes) bytes")
    }
    if alignment == huge { _ = madvise(raw, size, MADV_HUGEPAGE) }
    return raw.bindMemory(to: UInt32.self, capacity: count)
  }
}

/// A convolution in int8 (the shared scheme, docs/int8.md): its weights quantized per output
/// channel and reordered so that the GEMM's k runs over (ky, kx, group of 4 input channels,
/// channel in the group), the input channels padded to a multiple of 4 with zero weights; the
/// input's scale from the calibration; `scales[o] = inputScale * weightScales[o]`.
///
/// An output channel that an int8 layer reads (`outputScales[o] > 0`, that layer's input
/// scale) is requantized as ONNX Runtime's fused integer convolution does it (the int8
/// export, docs/export.md): the bias rounded to an integer in units of `scales[o]`
/// (`integerBias`), `(acc + integerBias[o]) * requantScales[o]` with
/// `requantScales[o] = scales[o] / outputScales[o]`, clamped to 0 ... 255 (the ReLU), rounded
/// half to even; the layer stores that value times `outputScales[o]`, which the reading layer
/// quantizes back to the same integer. The other channels (mixed_10's outputs, which only the
/// final average pool reads) are `acc * scales[o] + bias[o]`, ReLU.
final class Int8Conv: @unchecked Sendable {
  let shape: ConvShape
  let inputScale: Float
  let weightScales: [Float]
  let scales: [Float]
  let bias: [Float]
  let outputScales: [Float]
  let requantScales: [Float]
  let integerBias: [Int32]
  let matrix: Int8Matrix
  /// Groups of 4 input channels.
  let groups: Int

  /// Whether any output channel is requantized.
  var requantizes: Bool { outputScales.contains { $0 > 0 } }

  /// The uint8 value that stands for 0 in the input: 0, but 128 for the first layer, whose
  /// input is signed (``Int8Calibration/firstLayerInput``); the sums are corrected by
  /// `-inputZeroPoint · Σ q[o]` in ``integerBias``.
  let inputZeroPoint: Int32

  init(
    _ conv: FoldedConv, inputScale: Float, outputScales: [Float]? = nil,
    inputZeroPoint: Int32 = 0, path: Int8Path
  ) {
    self.inputZeroPoint = inputZeroPoint
    let s = conv.shape
    shape = s
    self.inputScale = inputScale
    let (q, ws) = Int8Quantization.quantizeWeights(
      conv.weights, rows: s.outChannels, columns: s.filterLength)
    weightScales = ws
    let scales = ws.map { inputScale * $0 }
    self.scales = scales
    bias = conv.bias
    let outputs = outputScales ?? [Float](repeating: 0, count: s.outChannels)
    precondition(outputs.count == s.outChannels)
    self.outputScales = outputs
    requantScales = (0..<s.outChannels).map { o in
      outputs[o] > 0 ? scales[o] / outputs[o] : scales[o]
    }
    // A zero point is corrected for in the integer bias: every output must requantize, and no
    // tap may read padding (im2col pads with byte 0, which would then stand for -zeroPoint).
    precondition(
      inputZeroPoint == 0 || (!outputs.contains { $0 <= 0 } && s.padH == 0 && s.padW == 0))
    integerBias = (0..<s.outChannels).map { o in
      let b = (conv.bias[o] / scales[o]).rounded(.toNearestOrEven)
      let rounded = b.isFinite ? Int32(max(-0x4000_0000, min(0x4000_0000, b))) : 0
      guard inputZeroPoint != 0 else { return rounded }
      var sum: Int32 = 0
      for i in 0..<s.filterLength { sum += Int32(q[o * s.filterLength + i]) }
      return rounded - inputZeroPoint * sum
    }
    groups = (s.inChannels + 3) / 4
    let taps = s.kernelH * s.kernelW
    let k = taps * groups * 4
    var reordered = [Int8](repeating: 0, count: s.outChannels * k)
    for o in 0..<s.outChannels {
      for ci in 0..<s.inChannels {
        for tap in 0..<taps {
          reordered[o * k + (tap * groups + ci / 4) * 4 + ci % 4] =
            q[o * s.filterLength + ci * taps + tap]
        }
      }
    }
    matrix = Int8Matrix(reordered, rows: s.outChannels, columns: k, path: path)
  }
}

extension Kernels {
  /// The int8 GEMM's path in this process (see ``Int8Path/current``).
  public static var int8Path: Int8Path { Int8Path.current }

  /// The int8 GEMM's paths this CPU runs.
  public static var int8Paths: [Int8Path] { Int8Path.supported }

  /// The exact int32 product of the int8 `a` (m×k) and the uint8 `b` (k×n), both row-major,
  /// by the packed kernel on `path`, computed in `rowParts` × `columnParts` blocks (bounds
  /// aligned as a team splits them), each its own call; for tests. `k` need not be a multiple
  /// of 4 (padded with zeros).
  public static func int8Product(
    _ a: [Int8], _ b: [UInt8], m: Int, k: Int, n: Int, path: Int8Path, rowParts: Int = 1,
    columnParts: Int = 1
  ) -> [Int32] {
    precondition(a.count == m * k && b.count == k * n && Int8Path.supported.contains(path))
    let (matrix, words) = testOperands(a, b, m: m, k: k, n: n, path: path)
    var c = [Int32](repeating: .min, count: m * n)
    words.withUnsafeBufferPointer { wb in
      c.withUnsafeMutableBufferPointer { cb in
        guard let bBase = wb.baseAddress, let cBase = cb.baseAddress else { return }
        for rp in 0..<rowParts {
          let rows = share(rp, of: rowParts, count: m, align: Int8Matrix.rowAlignment)
          for cp in 0..<columnParts {
            let cols = share(cp, of: columnParts, count: n, align: 16)
            matrix.multiply(
              rows: rows, b: bBase + cols.lowerBound, ldb: n, n: cols.count, c: nil,
              c32: cBase + cols.lowerBound, ldc: n, scale: nil, bias: nil, relu: false)
          }
        }
      }
    }
    return c
  }

  /// The exact int32 sums of a `kernelH`×`kernelW` convolution (no bias) of `input`
  /// (`[channels][batch][height][width]` bytes) by `weights` (`[outChannels][channels][kernelH]
  /// [kernelW]`), `[outChannels][batch][oh][ow]`, by `hero_i8_conv` on `path`: the channels in
  /// k-groups of 4 and the weights ordered (ky, kx, group) as the network's int8 layers; all
  /// images in one call, or (`bandRows` below the output's height) each image in bands of
  /// `bandRows` output rows; each call in `rowParts` × `columnParts` blocks
  /// (bounds aligned as a team splits them), each its own call; for tests. `im2col: true` runs
  /// `hero_i8_im2col` and the plain product instead.
  public static func int8Convolution(
    _ weights: [Int8], _ input: [UInt8], outChannels: Int, channels: Int, batch: Int,
    height h: Int, width w: Int, kernelH: Int, kernelW: Int, stride: Int, padH: Int, padW: Int,
    path: Int8Path, bandRows: Int = .max, rowParts: Int = 1, columnParts: Int = 1,
    im2col: Bool = false
  ) -> [Int32] {
    precondition(weights.count == outChannels * channels * kernelH * kernelW)
    precondition(input.count == channels * batch * h * w && Int8Path.supported.contains(path))
    let groups = (channels + 3) / 4
    let k = kernelH * kernelW * groups * 4
    var a = [Int8](repeating: 0, count: outChannels * k)
    for o in 0..<outChannels {
      for ch in 0..<channels {
        for ky in 0..<kernelH {
          for kx in 0..<kernelW {
            a[o * k + ((ky * kernelW + kx) * groups + ch / 4) * 4 + ch % 4] =
              weights[((o * channels + ch) * kernelH + ky) * kernelW + kx]
          }
        }
      }
    }
    let matrix = Int8Matrix(a, rows: outChannels, columns: k, path: path)
    let plane = h * w
    var words = [UInt32](repeating: 0, count: groups * batch * plane)
    for ch in 0..<channels {
      for p in 0..<(batch * plane) {
        words[(ch / 4) * batch * plane + p] |=
          UInt32(input[ch * batch * plane + p]) << (8 * (ch % 4))
      }
    }
    let oh = (h + 2 * padH - kernelH) / stride + 1
    let ow = (w + 2 * padW - kernelW) / stride + 1
    let total = batch * oh * ow
    var c = [Float](repeating: .nan, count: outChannels * total)
    let ones = [Float](repeating: 1, count: outChannels)
    words.withUnsafeBufferPointer { wb in
      c.withUnsafeMutableBufferPointer { cb in
        ones.withUnsafeBufferPointer { sb in
          guard let q = wb.baseAddress, let cBase = cb.baseAddress, let sp = sb.baseAddress else {
            return
          }
          // Whole images: one call for all of them (as the network runs); bands: image by image.
          let whole = bandRows >= oh
          for j in Swift.stride(from: 0, to: batch, by: whole ? batch : 1) {
            let count = whole ? batch : 1
            var y0 = 0
            while y0 < oh {
              let band = y0..<min(oh, y0 + max(1, bandRows))
              let n = count * band.count * ow
              let out = cBase + j * oh * ow + band.lowerBound * ow
              if im2col {
                var col = [UInt32](repeating: 0, count: k / 4 * n + 64)
                col.withUnsafeMutableBufferPointer { colb in
                  guard let cp = colb.baseAddress else { return }
                  hero_i8_im2col(
                    q, Int32(groups), Int32(batch), Int32(h), Int32(w), Int32(kernelH),
                    Int32(kernelW), Int32(stride), Int32(padH), Int32(padW), Int32(j), Int32(count),
                    Int32(band.lowerBound), Int32(band.upperBound), 0, Int32(groups), cp)
                  matrix.multiply(
                    rows: 0..<outChannels, b: cp, ldb: n, n: n, c: out, ldc: total, scale: sp,
                    bias: nil, relu: false)
                }
              } else {
                for rp in 0..<rowParts {
                  let rows = share(
                    rp, of: rowParts, count: outChannels, align: Int8Matrix.rowAlignment)
                  for cp in 0..<columnParts {
                    let cols = share(cp, of: columnParts, count: n, align: 16)
                    matrix.convolve(
                      rows: rows, columns: cols, input: q, groups: groups, batch: batch,
                      height: h, width: w, kernelH: kernelH, kernelW: kernelW, stride: stride,
                      padH: padH, padW: padW, first: j, outputRows: band, c: out, ldc: total,
                      scale: sp, bias: nil, relu: false)
                  }
                }
              }
              y0 = band.upperBound
            }
          }
        }
      }
    }
    return c.map { Int32(exactly: $0) ?? .min }
  }

  /// The requantized product (``Int8Conv``'s epilogue) of the int8 `a` (m×k) and the uint8 `b`
  /// (k×n) by the packed kernel on `path`: row i with `outputScale[i] > 0` is
  /// `round_half_to_even(clamp(float(acc + integerBias[i]) * scale[i], 0, 255)) * outputScale[i]`,
  /// the others `acc * scale[i] + bias[i]`, ReLU; for tests.
  public static func int8Requantized(
    _ a: [Int8], _ b: [UInt8], m: Int, k: Int, n: Int, scale: [Float], bias: [Float],
    integerBias: [Int32], outputScale: [Float], path: Int8Path
  ) -> [Float] {
    precondition(a.count == m * k && b.count == k * n && Int8Path.supported.contains(path))
    precondition(
      [scale.count, bias.count, integerBias.count, outputScale.count].allSatisfy { $0 == m })
    let (matrix, words) = testOperands(a, b, m: m, k: k, n: n, path: path)
    var c = [Float](repeating: .nan, count: m * n)
    words.withUnsafeBufferPointer { wb in
      c.withUnsafeMutableBufferPointer { cb in
        scale.withUnsafeBufferPointer { sb in
          bias.withUnsafeBufferPointer { bb in
            integerBias.withUnsafeBufferPointer { ib in
              outputScale.withUnsafeBufferPointer { ob in
                guard let bBase = wb.baseAddress, let cBase = cb.baseAddress,
                  let sp = sb.baseAddress, let bp = bb.baseAddress, let ip = ib.baseAddress,
                  let op = ob.baseAddress
                else { return }
                matrix.multiply(
                  rows: 0..<m, b: bBase, ldb: n, n: n, c: cBase, ldc: n, scale: sp, bias: bp,
                  relu: true, requantized: (ip, op))
              }
            }
          }
        }
      }
    }
    return c
  }

  /// The uint8 3x3 average pool (`hero_i8_average_pool`, on `path`'s build) of `channels`
  /// planes of `batch` images of h×w values (`[channels][batch][h][w]`), one byte per value in
  /// and out; for tests.
  public static func int8AveragePool(
    _ x: [UInt8], channels: Int, batch: Int, height h: Int, width w: Int, scale: Float,
    path: Int8Path
  ) -> [UInt8] {
    let plane = batch * h * w
    precondition(x.count == channels * plane)
    let groups = (channels + 3) / 4
    let q = groupedWords(x, rows: channels, columns: plane)
    var out = [UInt32](repeating: 0xFFFF_FFFF, count: groups * plane)
    q.withUnsafeBufferPointer { qb in
      out.withUnsafeMutableBufferPointer { ob in
        hero_i8_average_pool(
          qb.baseAddress, Int32(batch), Int32(h), Int32(w), scale, 0, Int32(groups),
          ob.baseAddress, path.code)
      }
    }
    return bytes(ofGroupedWords: out, rows: channels, columns: plane)
  }

  /// `channels` planes of `plane` floats quantized by the C kernel on `path` into k-grouped
  /// words, unpacked back to one byte per value (`[channels][plane]`); for tests.
  public static func int8Quantize(
    _ x: [Float], channels: Int, plane: Int, scale: Float, zeroPoint: Int32 = 0, path: Int8Path
  ) -> [UInt8] {
    precondition(x.count == channels * plane && Int8Path.supported.contains(path))
    let groups = (channels + 3) / 4
    var q = [UInt32](repeating: 0xFFFF_FFFF, count: groups * plane)
    x.withUnsafeBufferPointer { xb in
      q.withUnsafeMutableBufferPointer { qb in
        hero_i8_quantize(
          xb.baseAddress, Int32(channels), plane, scale, zeroPoint, 0, Int32(groups),
          qb.baseAddress, path.code)
      }
    }
    return bytes(ofGroupedWords: q, rows: channels, columns: plane)
  }

  /// The int8 `a` (m×k) padded to k a multiple of 4 and packed for `path`, and the uint8 `b`
  /// (k×n) in k-grouped words (with room after them for the kernel's reads); for the tests'
  /// products.
  private static func testOperands(
    _ a: [Int8], _ b: [UInt8], m: Int, k: Int, n: Int, path: Int8Path
  ) -> (Int8Matrix, [UInt32]) {
    let k4 = (k + 3) / 4 * 4
    var padded = [Int8](repeating: 0, count: m * k4)
    for i in 0..<m { for l in 0..<k { padded[i * k4 + l] = a[i * k + l] } }
    return (
      Int8Matrix(padded, rows: m, columns: k4, path: path),
      groupedWords(b, rows: k, columns: n) + [UInt32](repeating: 0, count: 64)
    )
  }

  /// The row-major `rows`×`columns` bytes as k-grouped words: byte (r, c) in byte r % 4 of
  /// word (r / 4, c); the rows past `rows` in the last group are 0.
  private static func groupedWords(_ x: [UInt8], rows: Int, columns: Int) -> [UInt32] {
    var words = [UInt32](repeating: 0, count: (rows + 3) / 4 * columns)
    for r in 0..<rows {
      for c in 0..<columns {
        words[(r / 4) * columns + c] |= UInt32(x[r * columns + c]) << (8 * (r % 4))
      }
    }
    return words
  }

  /// ``groupedWords(_:rows:columns:)`` undone.
  private static func bytes(ofGroupedWords words: [UInt32], rows: Int, columns: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: rows * columns)
    for r in 0..<rows {
      for c in 0..<columns {
        out[r * columns + c] = UInt8((words[(r / 4) * columns + c] >> (8 * (r % 4))) & 0xFF)
      }
    }
    return out
  }
}

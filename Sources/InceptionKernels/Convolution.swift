import Foundation

/// The geometry of one convolution layer: `outChannels` filters of `inChannels`×`kernelH`×
/// `kernelW`, one stride for both axes, zero padding `padH` rows and `padW` columns on each side.
public struct ConvShape: Sendable, Equatable {
  /// The layer's key in `data.pkl` below `net.layers.` (e.g. `mixed_4.tower.conv_1`).
  public let key: String
  public let outChannels: Int
  public let inChannels: Int
  public let kernelH: Int
  public let kernelW: Int
  public let stride: Int
  public let padH: Int
  public let padW: Int

  public init(
    key: String, outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int, stride: Int = 1,
    padH: Int = 0, padW: Int = 0
  ) {
    precondition(outChannels > 0 && inChannels > 0 && kernelH > 0 && kernelW > 0 && stride > 0)
    self.key = key
    self.outChannels = outChannels
    self.inChannels = inChannels
    self.kernelH = kernelH
    self.kernelW = kernelW
    self.stride = stride
    self.padH = padH
    self.padW = padW
  }

  /// The output height and width for an input of `height`×`width`.
  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    ((height + 2 * padH - kernelH) / stride + 1, (width + 2 * padW - kernelW) / stride + 1)
  }

  /// Length of one filter: `inChannels * kernelH * kernelW` (the GEMM's k).
  public var filterLength: Int { inChannels * kernelH * kernelW }

  /// A 1x1, stride-1, unpadded convolution: a plain matrix product, no im2col.
  var isPointwise: Bool { kernelH == 1 && kernelW == 1 && stride == 1 && padH == 0 && padW == 0 }
}

/// A convolution with its batch norm folded in: `relu(conv(x, weights) + bias)` equals
/// `relu(batchnorm(conv(x, w)))` with batch norm `(y - mean) / sqrt(var + eps) + beta` (no scale).
public struct FoldedConv: Sendable {
  public let shape: ConvShape
  /// `outChannels` rows of `filterLength` floats (PyTorch's [out, in, kh, kw] order), each row
  /// scaled by `1 / sqrt(var + eps)`.
  public let weights: [Float]
  /// `beta - mean / sqrt(var + eps)` per output channel.
  public let bias: [Float]
  /// `weights` packed for hero-id's GEMM kernel, when the network prepared it (see
  /// ``PackedMatrix``); nil: the products go through OpenBLAS.
  var packed: PackedMatrix?

  /// Folds batch norm (`beta`, `mean`, `variance`, `epsilon`; no scale) into `weight`.
  public init(
    shape: ConvShape, weight: [Float], beta: [Float], mean: [Float], variance: [Float],
    epsilon: Float
  ) {
    precondition(weight.count == shape.outChannels * shape.filterLength)
    precondition(beta.count == shape.outChannels && mean.count == shape.outChannels)
    precondition(variance.count == shape.outChannels)
    var b = [Float](repeating: 0, count: shape.outChannels)
    let k = shape.filterLength
    // As PyTorch's CPU batch norm: invstd = 1 / sqrt(var + eps), y * invstd + (beta - mean * invstd).
    let invstd = variance.map { 1 / ($0 + epsilon).squareRoot() }
    for o in 0..<shape.outChannels { b[o] = beta[o] - mean[o] * invstd[o] }
    // The folded filters written once (not a copy of `weight` scaled in place).
    let w = weight.withUnsafeBufferPointer { src in
      [Float](unsafeUninitializedCapacity: src.count) { dst, initialized in
        for o in 0..<shape.outChannels {
          for i in 0..<k { dst[o * k + i] = src[o * k + i] * invstd[o] }
        }
        initialized = src.count
      }
    }
    self.shape = shape
    self.weights = w
    self.bias = b
  }

  /// A convolution whose weights and bias are given already folded.
  public init(shape: ConvShape, weights: [Float], bias: [Float]) {
    precondition(weights.count == shape.outChannels * shape.filterLength)
    precondition(bias.count == shape.outChannels)
    self.shape = shape
    self.weights = weights
    self.bias = bias
  }
}

extension FoldedConv {
  /// This convolution with its weights packed for hero-id's GEMM kernel, where the CPU runs it
  /// (else unchanged).
  func packedForKernel() -> FoldedConv {
    guard PackedMatrix.isAvailable, packed == nil else { return self }
    var c = self
    c.packed = PackedMatrix(
      weights, rows: shape.outChannels, columns: shape.filterLength, rowStride: shape.filterLength)
    return c
  }

  /// Several convolutions of the same input geometry as one: their filters stacked in order, so
  /// one GEMM computes all their outputs, one after the other along the channels.
  public static func stacked(_ parts: [FoldedConv], key: String) -> FoldedConv {
    precondition(!parts.isEmpty)
    let s = parts[0].shape
    var weights: [Float] = []
    var bias: [Float] = []
    for p in parts {
      let t = p.shape
      precondition(
        t.inChannels == s.inChannels && t.kernelH == s.kernelH && t.kernelW == s.kernelW
          && t.stride == s.stride && t.padH == s.padH && t.padW == s.padW)
      weights += p.weights
      bias += p.bias
    }
    let shape = ConvShape(
      key: key, outChannels: bias.count, inChannels: s.inChannels, kernelH: s.kernelH,
      kernelW: s.kernelW, stride: s.stride, padH: s.padH, padW: s.padW)
    return FoldedConv(shape: shape, weights: weights, bias: bias)
  }
}

/// A growable float buffer owned by one forward-pass object and reused between calls. Large
/// buffers are 2 MiB aligned and marked `MADV_HUGEPAGE`: GEMM packing walks them with big strides,
/// and transparent huge pages spare it most TLB misses.
final class FloatBuffer {
  private(set) var pointer: UnsafeMutablePointer<Float>
  private(set) var capacity: Int

  init(capacity: Int = 1) {
    self.capacity = max(1, capacity)
    pointer = Self.allocate(self.capacity)
  }

  deinit { free(pointer) }

  /// The buffer, grown (contents dropped) to hold at least `count` floats.
  func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
    if count > capacity {
      free(pointer)
      capacity = count
      pointer = Self.allocate(count)
    }
    return pointer
  }

  private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
    let bytes = count * MemoryLayout<Float>.stride
    let huge = 2 << 20
    let alignment = bytes >= huge ? huge : 64
    let size = (bytes + alignment - 1) / alignment * alignment
    var raw: UnsafeMutableRawPointer? = nil
    guard posix_memalign(&raw, alignment, size) == 0, let raw else {
      preconditionFailure("out of memory allocating \(bytes) bytes")
    }
    if alignment == huge { _ = madvise(raw, size, MADV_HUGEPAGE) }
    return raw.bindMemory(to: Float.self, capacity: count)
  }
}

/// The largest im2col or Winograd buffer (floats) built at once; the batch is split into image
/// groups to stay under it (at least one image a group). 2 MiB, the L2 of this machine's two
/// cores together (1 MiB each; 1 MiB and 512 KiB budgets measured 2–5% slower, one thread):
/// at batch 16 (two lanes of 8) that ran 20.6–20.9 images/s against 20.0–20.4 with 24 MiB
/// (whole lanes at once, the transformed tiles and products streaming through memory).
let im2colBudget = 512 << 10

/// Convolution + bias + ReLU over a batch in planar layout: `input` holds `inChannels` ×
/// `batch` planes of `height`×`width` (plane `c * batch + n`), `output` receives `outChannels`
/// × `batch` planes of the output size. 1x1 layers multiply the input directly; the others go
/// through im2col in `columns`, several images per GEMM where the budget allows. With a `team`,
/// im2col is split by input channel and each GEMM (with its bias and ReLU) by output channel or
/// column (see ``splitGEMM(m:n:k:part:parts:)``), one part per thread. `biasReLU: false`
/// (1x1 layers only) leaves out the bias and the ReLU: the plain product.
func convolve(
  _ conv: FoldedConv, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
  output: UnsafeMutablePointer<Float>, columns: FloatBuffer, team: WorkerTeam? = nil,
  profile: LayerProfile? = nil, biasReLU: Bool = true
) {
  let s = conv.shape
  let (oh, ow) = s.outputSize(height: height, width: width)
  let ohw = oh * ow
  let total = batch * ohw
  let k = s.filterLength
  precondition(biasReLU || s.isPointwise, "only a 1x1 layer runs without bias and ReLU")
  conv.weights.withUnsafeBufferPointer { w in
    conv.bias.withUnsafeBufferPointer { bias in
      guard let wp = w.baseAddress, let bp = bias.baseAddress else { return }
      if s.isPointwise, let packed = conv.packed {
        packed.multiply(
          team: team, b: input, ldb: total, n: total, c: output, ldc: total,
          bias: biasReLU ? bp : nil, relu: biasReLU)
      } else if s.isPointwise {
        split(team) { part, parts in
          let (rows, cols) = splitGEMM(m: s.outChannels, n: total, k: k, part: part, parts: parts)
          BLAS.sgemm(
            m: rows.count, n: cols.count, k: k, a: wp + rows.lowerBound * k, lda: k,
            b: input + cols.lowerBound, ldb: total,
            c: output + rows.lowerBound * total + cols.lowerBound, ldc: total)
          if biasReLU {
            timed(parts == 1 ? profile : nil, "· bias+ReLU") {
              addBiasReLU(bp, rows: rows, columns: cols, output: output, rowLength: total)
            }
          }
        }
      } else {
        let group = max(1, min(batch, im2colBudget / max(1, k * ohw)))
        var first = 0
        while first < batch {
          let count = min(group, batch - first)
          let col = columns.reserve(k * count * ohw)
          timed(profile, "· im2col") {
            split(team) { part, parts in
              im2col(
                s, input: input, batch: batch, height: height, width: width, first: first,
                count: count, outH: oh, outW: ow, columns: col,
                channels: share(part, of: parts, count: s.inChannels))
            }
          }
          let n = count * ohw
          let c = output + first * ohw
          if let packed = conv.packed {
            // Bias and ReLU as the products are stored (the groups' columns are disjoint).
            packed.multiply(
              team: team, b: col, ldb: n, n: n, c: c, ldc: total, bias: bp, relu: true)
            first += count
            continue
          }
          split(team) { part, parts in
            let (rows, cols) = splitGEMM(m: s.outChannels, n: n, k: k, part: part, parts: parts)
            BLAS.sgemm(
              m: rows.count, n: cols.count, k: k, a: wp + rows.lowerBound * k, lda: k,
              b: col + cols.lowerBound, ldb: n, c: c + rows.lowerBound * total + cols.lowerBound,
              ldc: total)
            if batch == count {
              timed(parts == 1 ? profile : nil, "· bias+ReLU") {
                addBiasReLU(bp, rows: rows, columns: cols, output: output, rowLength: total)
              }
            }
          }
          first += count
        }
        if group < batch && conv.packed == nil {
          split(team) { part, parts in
            addBiasReLU(
              bp, rows: share(part, of: parts, count: s.outChannels), columns: 0..<total,
              output: output, rowLength: total)
          }
        }
      }
    }
  }
}

/// Part `part` of `parts` of an `m`×`n` (×`k`) GEMM: the rows and columns of C it computes.
/// Splitting the rows makes every part pack all of B (`k`×`n`), splitting the columns all of A
/// (`m`×`k`): the split goes along the larger of `m` and `n`, so the copy packed twice is the
/// smaller one. Bounds are multiples of 16 (OpenBLAS's kernel width, and the width of
/// ``PackedMatrix``'s kernel), rows of `rowAlignment` (6 for ``PackedMatrix``, its panels), and
/// every element of C is summed in the same order as by one unsplit call.
func splitGEMM(
  m: Int, n: Int, k: Int, part: Int, parts: Int, rowAlignment: Int = 16
) -> (Range<Int>, Range<Int>) {
  if parts == 1 { return (0..<m, 0..<n) }
  if m >= n { return (share(part, of: parts, count: m, align: rowAlignment), 0..<n) }
  return (0..<m, share(part, of: parts, count: n, align: 16))
}

/// `max(0, x + bias[row])` over the block `rows`×`columns` of `output` (rows of `rowLength`).
func addBiasReLU(
  _ bias: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>,
  output: UnsafeMutablePointer<Float>, rowLength: Int
) {
  for c in rows {
    let row = output + c * rowLength
    let v = bias[c]
    for i in columns {
      let x = row[i] + v
      row[i] = x > 0 ? x : 0
    }
  }
}

/// Unfolds images `first..<first+count` into `columns`: row `(ci*kh + ky)*kw + kx`, column
/// `j*outH*outW + oy*outW + ox` holds input(ci, first+j, oy*stride - padH + ky,
/// ox*stride - padW + kx), zero outside the image. Only the input channels `channels` (all by
/// default) when the work is split.
func im2col(
  _ s: ConvShape, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, first: Int,
  count: Int, outH: Int, outW: Int, columns: UnsafeMutablePointer<Float>,
  channels: Range<Int>? = nil
) {
  let ohw = outH * outW
  let rowLength = count * ohw
  let plane = height * width
  for ci in channels ?? 0..<s.inChannels {
    for ky in 0..<s.kernelH {
      for kx in 0..<s.kernelW {
        let r = (ci * s.kernelH + ky) * s.kernelW + kx
        // Output columns whose input column lies inside the image.
        let x0 = max(0, (s.padW - kx + s.stride - 1) / s.stride)
        let x1 = min(outW, (width + s.padW - kx + s.stride - 1) / s.stride)
        for j in 0..<count {
          let src = input + (ci * batch + first + j) * plane
          let dstImage = columns + r * rowLength + j * ohw
          for oy in 0..<outH {
            let dst = dstImage + oy * outW
            let iy = oy * s.stride - s.padH + ky
            if iy < 0 || iy >= height || x0 >= x1 {
              dst.update(repeating: 0, count: outW)
              continue
            }
            if x0 > 0 { dst.update(repeating: 0, count: x0) }
            if x1 < outW { (dst + x1).update(repeating: 0, count: outW - x1) }
            let srcRow = src + iy * width - s.padW + kx
            if s.stride == 1 {
              (dst + x0).update(from: srcRow + x0, count: x1 - x0)
            } else {
              for ox in x0..<x1 { dst[ox] = srcRow[ox * s.stride] }
            }
          }
        }
      }
    }
  }
}

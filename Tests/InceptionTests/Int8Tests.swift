import Foundation
import HeroCore
import Inception
import InceptionKernels
import TestSupport
import Testing

/// The int8 scheme (docs/int8.md): the calibration table, the quantization arithmetic, the int8
/// GEMM's paths against a plain integer loop.
@Suite struct Int8Tests {
  @Test("the bundled calibration covers every int8 layer, each range finite and > 0")
  func calibrationCoversEveryLayer() {
    let table = Int8Calibration.bundled
    #expect(table.problems.isEmpty, "\(table.problems)")
    // Exactly the calibrated layers: the first convolution (a fixed scale) and the stacked keys
    // are not in it.
    #expect(Set(table.inputRanges.keys) == Set(Int8Calibration.int8Layers))
    #expect(Int8Calibration.int8Layers.count == InceptionLayers.table.count - 1)
    #expect(table.inputRanges["conv"] == nil)
    #expect(!table.inputRanges.keys.contains { $0.contains("stacked") })
    #expect(table.images > 0 && !table.source.isEmpty)
    // A block's layers that read the block input share its range; tower_2's 1x1 after the
    // average pool included (hero-id convolves before pooling).
    for block in ["mixed", "mixed_1", "mixed_2", "mixed_4", "mixed_5", "mixed_6", "mixed_7"] {
      let r = table.inputRanges["\(block).conv"]
      #expect(r != nil && table.inputRanges["\(block).tower.conv"] == r)
      #expect(table.inputRanges["\(block).tower_1.conv"] == r)
      #expect(table.inputRanges["\(block).tower_2.conv"] == r)
    }
    #expect(table.inputScale(forLayer: "conv_1") == table.inputRanges["conv_1"].map { $0 / 255 })
    #expect(table.inputScale(forLayer: "conv") == nil)
  }

  @Test("the table's Swift source is deterministic and reads back (keys sorted, exact floats)")
  func swiftSourceIsStable() throws {
    let table = Int8Calibration(
      source: String(repeating: "a \"quoted\" word \\ ", count: 12), images: 3,
      inputRanges: ["b": 0.1, "a": 3.4028235e38, "c": 1e-7])
    let text = table.swiftSource(command: "test")
    #expect(text == table.swiftSource(command: "test"))
    let a = try #require(text.range(of: "\"a\": "))
    let b = try #require(text.range(of: "\"b\": "))
    #expect(a.lowerBound < b.lowerBound)
    #expect(text.contains("\"b\": 0.1,") && text.contains("\"c\": 1e-07,"))
    #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 })
    // JSON round trip of the Codable form.
    let back = try JSONDecoder().decode(
      Int8Calibration.self, from: JSONEncoder().encode(table))
    #expect(back == table)
  }

  @Test("a table file reads back, and a file with a missing layer or no JSON is named")
  func calibrationFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "int8-calibration-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("good.json").path
    try Int8Calibration.bundled.jsonText.write(toFile: good, atomically: true, encoding: .utf8)
    #expect(try Int8Calibration.load(jsonFile: good) == Int8Calibration.bundled)
    var partial = Int8Calibration.bundled
    partial.inputRanges["mixed_4.tower.conv_1"] = nil
    let missing = dir.appendingPathComponent("missing.json").path
    try partial.jsonText.write(toFile: missing, atomically: true, encoding: .utf8)
    let garbage = dir.appendingPathComponent("garbage.json").path
    try "not json".write(toFile: garbage, atomically: true, encoding: .utf8)
    for (path, words) in [(missing, "mixed_4.tower.conv_1: no range"), (garbage, "garbage.json")] {
      do {
        _ = try Int8Calibration.load(jsonFile: path)
        Issue.record("\(path) was accepted")
      } catch let e as Int8CalibrationFileError {
        #expect(e.description.hasPrefix("\(path): not a usable int8 calibration table"))
        #expect(e.description.contains(words))
      }
    }
  }

  @Test("activations: x / scale rounded half to even, clamped to 0...255, NaN to 0")
  func activationQuantization() {
    let q = { (x: Float) in Int8Quantization.quantizeActivation(x, scale: 1) }
    #expect(q(0) == 0 && q(0.49) == 0 && q(0.5) == 0 && q(0.51) == 1)
    #expect(q(1.5) == 2 && q(2.5) == 2 && q(3.5) == 4 && q(253.5) == 254 && q(254.5) == 254)
    #expect(q(254.51) == 255 && q(255) == 255 && q(255.5) == 255 && q(1e30) == 255)
    #expect(q(.infinity) == 255 && q(-1) == 0 && q(-.infinity) == 0 && q(.nan) == 0)
    #expect(q(-0.0) == 0)
    // A scale other than 1: 0.75 / 0.5 = 1.5 exactly (even: 2); 1.25 / 0.5 = 2.5 (even: 2).
    #expect(Int8Quantization.quantizeActivation(0.75, scale: 0.5) == 2)
    #expect(Int8Quantization.quantizeActivation(1.25, scale: 0.5) == 2)
  }

  @Test("weights: per output channel, max |w| / 127, rounded half to even, ±127; zero rows 1")
  func weightQuantization() {
    let w: [Float] = [127, 0.5, 1.5, -2.5, -127, 0, 0, 0, 0, 0, 2, -1, 0.25, 0.5, 0.75]
    let (q, scales) = Int8Quantization.quantizeWeights(w, rows: 3, columns: 5)
    #expect(scales == [1, 1, 2 / Float(127)])
    #expect(Array(q[0..<5]) == [127, 0, 2, -2, -127])
    #expect(Array(q[5..<10]) == [0, 0, 0, 0, 0])
    // Row 3: scale 2/127, so w / scale = w * 63.5: 127, -63.5 → -64 (even), 15.875 → 16,
    // 31.75 → 32, 47.625 → 48.
    let row3 = Array(q[10..<15])
    #expect(row3[0] == 127 && row3[2] == 16 && row3[3] == 32 && row3[4] == 48)
    #expect(abs(Int(row3[1]) + 64) <= 1)  // -63.5 in float: -64, or -63 after rounding the scale
    // Every quantized weight within half a step of the weight (|w - q·s| ≤ s/2, in float).
    for o in 0..<3 {
      for i in 0..<5 {
        let err = abs(w[o * 5 + i] - Float(q[o * 5 + i]) * scales[o])
        #expect(err <= scales[o] / 2 * (1 + 1e-6))
      }
    }
    #expect(Int8Quantization.weightScale([Float](repeating: 0, count: 4)) == 1)
    #expect(Int8Quantization.quantizeWeight(.nan, scale: 1) == 0)
    #expect(Int8Quantization.quantizeWeight(1000, scale: 1) == 127)
  }

  @Test("weights: the C quantizer gives the scalar definition's bytes and scales, every path")
  func weightQuantizerMatchesDefinition() {
    var rng = SplitMix(seed: 91)
    // Row lengths: under a vector, one vector of 16, one past it, several with a tail, a
    // network-sized row.
    for (rows, columns) in [(3, 1), (4, 15), (5, 16), (6, 17), (7, 33), (3, 100), (2, 1728)] {
      var w = (0..<(rows * columns)).map { _ in Float.random(in: -0.6...0.4, using: &rng) }
      // Row 0: exact halves of a step (scale 1 with 127 the largest |w|: ties to even), -0,
      // NaN (left out of the scale, quantized to 0). Row 1: all zeros (scale 1). Row 2: +inf
      // (scale inf: every finite weight 0, inf/inf NaN: 0) where the row is long enough.
      let ties: [Float] = [127, 0.5, 1.5, 2.5, -2.5, -126.5, -0.0, .nan, 3.5, -127]
      for (i, v) in ties.enumerated() where i < columns { w[i] = v }
      if columns == 1 { w[0] = 127 }
      for i in 0..<columns { w[columns + i] = 0 }
      if rows > 2 && columns > 2 { w[2 * columns + 1] = .infinity }
      var wantQ: [Int8] = []
      var wantScales: [Float] = []
      for o in 0..<rows {
        let row = w[(o * columns)..<((o + 1) * columns)]
        let scale = Int8Quantization.weightScale(row)
        wantScales.append(scale)
        wantQ += row.map { Int8Quantization.quantizeWeight($0, scale: scale) }
      }
      #expect(wantScales[1] == 1)
      if columns >= ties.count {
        // 0.5 → 0, 1.5 → 2, 2.5 → 2, -2.5 → -2, -126.5 → -126, NaN → 0, 3.5 → 4.
        #expect(Array(wantQ[1...8]) == [0, 2, 2, -2, -126, 0, 0, 4] && wantScales[0] == 1)
      }
      for path in Kernels.int8Paths {
        let (q, scales) = Int8Quantization.quantizeWeights(
          w, rows: rows, columns: columns, path: path)
        #expect(
          q.count == wantQ.count && zip(q, wantQ).allSatisfy { $0 == $1 }, "\(path) \(columns)")
        #expect(scales.map(\.bitPattern) == wantScales.map(\.bitPattern), "\(path) \(columns)")
      }
    }
  }

  @Test("the C quantizer gives the Swift scheme's bytes on every path (tails, boundaries)")
  func cQuantizerMatchesScheme() {
    var rng = SplitMix(seed: 81)
    let scale: Float = 0.04
    // Channels: a partial group of 4; planes: full vectors of 16 and 8 plus tails.
    for (channels, plane) in [(1, 1), (3, 17), (4, 16), (6, 37), (9, 100)] {
      var x = (0..<(channels * plane)).map { _ in Float.random(in: -1..<12, using: &rng) }
      // Boundaries: halves of a step (even and odd), the top, beyond it, NaN, negatives.
      let special: [Float] = [
        0, 0.5 * scale, 1.5 * scale, 2.5 * scale, 254.5 * scale, 255 * scale,
        1e9, .nan, -0.0, -3, .infinity,
      ]
      for (i, v) in special.enumerated() where i < x.count { x[(i * 7) % x.count] = v }
      let want = x.map { Int8Quantization.quantizeActivation($0, scale: scale) }
      for path in Kernels.int8Paths {
        let got = Kernels.int8Quantize(
          x, channels: channels, plane: plane, scale: scale, path: path)
        #expect(got == want, "\(path): \(channels)x\(plane)")
      }
    }
  }

  @Test("the first layer's input: by 1/128, round half to even, then + 128, every path")
  func cQuantizerWithZeroPoint() {
    var rng = SplitMix(seed: 85)
    let (scale, zero) = Int8Calibration.firstLayerInput
    for (channels, plane) in [(3, 37), (3, 299)] {
      var x = (0..<(channels * plane)).map { _ in Float.random(in: -1.2...1.2, using: &rng) }
      // Halves of a step either side of 0 (ties to even before the zero point is added: -0.5
      // gives 128, 0.5 gives 128, 1.5 gives 130, -1.5 gives 126), the ends, NaN (byte 0).
      let special: [Float] = [0.5, -0.5, 1.5, -1.5, -128.5, 127.5, -200, 200, .nan, -0.0]
      for (i, v) in special.enumerated() { x[i * 3] = v * scale }
      let want = x.map { v -> UInt8 in
        guard !v.isNaN else { return 0 }  // NaN: the lowest byte, as with zero point 0
        let r = min(Float(255 - zero), max(Float(-zero), v / scale)).rounded(.toNearestOrEven)
        return UInt8(Int32(r) + zero)
      }
      #expect(want[0] == 128 && want[3] == 128 && want[6] == 130 && want[9] == 126)
      for path in Kernels.int8Paths {
        let got = Kernels.int8Quantize(
          x, channels: channels, plane: plane, scale: scale, zeroPoint: zero, path: path)
        #expect(got == want, "\(path): \(channels)x\(plane)")
      }
    }
  }

  /// The exact product of int8 `a` (m×k) and uint8 `b` (k×n), in Int32.
  func reference(_ a: [Int8], _ b: [UInt8], m: Int, k: Int, n: Int) -> [Int32] {
    var c = [Int32](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var s: Int32 = 0
        for l in 0..<k { s += Int32(a[i * k + l]) * Int32(b[l * n + j]) }
        c[i * n + j] = s
      }
    }
    return c
  }

  @Test("the int8 GEMM equals an integer loop exactly: odd m, n, k, every path, split work")
  func int8ProductIsExact() {
    var rng = SplitMix(seed: 82)
    // m: one panel of 6, a partial one, several; n: the AVX2 kernel's 8 and its tails, the VNNI
    // kernel's 16..64 and masks (1, 17, 33, 47, 65, 130); k: not a multiple of 4 (padded), and
    // long (2052: a B block of fewer columns). Extreme values: 255 × ±127 (exact only without
    // int16 saturation).
    let shapes = [
      (1, 1, 1), (5, 7, 3), (6, 4, 8), (7, 13, 17), (13, 64, 33), (11, 30, 47), (64, 96, 65),
      (19, 2052, 130), (50, 301, 200),
    ]
    for (m, k, n) in shapes {
      var a = (0..<(m * k)).map { _ in Int8.random(in: -127...127, using: &rng) }
      var b = (0..<(k * n)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      // The worst case in the first row and column: every product 255 · ±127.
      for l in 0..<k {
        a[l] = l % 3 == 0 ? -127 : 127
        b[l * n] = 255
      }
      let want = reference(a, b, m: m, k: k, n: n)
      for path in Kernels.int8Paths {
        for (rows, columns) in [(1, 1), (2, 1), (1, 3), (3, 2)] {
          let got = Kernels.int8Product(
            a, b, m: m, k: k, n: n, path: path, rowParts: rows, columnParts: columns)
          #expect(got == want, "\(path): \(m)x\(k)·\(k)x\(n) in \(rows)x\(columns) parts")
        }
      }
    }
  }

  @Test("the int8 convolution (im2col inside the GEMM) equals a direct integer loop exactly")
  func int8ConvolutionIsExact() {
    var rng = SplitMix(seed: 86)
    // (out channels, channels, batch, h, w, kernel h, kernel w, stride, pad h, pad w): 3x3
    // padded and not, stride 2 (the stem's first layer: 3 channels, one padded group; mixed_3's
    // odd size), 1x7 and 7x1 with their one-sided pads, 5x5, a 1-pixel-wide image, and widths
    // that put run ends inside and across the 64-column panels.
    let shapes = [
      (7, 3, 2, 11, 13, 3, 3, 2, 0, 0), (13, 8, 1, 9, 9, 3, 3, 1, 1, 1),
      (6, 5, 3, 7, 20, 3, 3, 1, 0, 0),
      (11, 9, 2, 17, 17, 1, 7, 1, 0, 3), (5, 12, 1, 17, 17, 7, 1, 1, 3, 0),
      (9, 4, 2, 12, 12, 5, 5, 1, 2, 2), (4, 6, 2, 35, 35, 3, 3, 2, 0, 0),
      (3, 4, 2, 6, 1, 3, 3, 1, 1, 1),
      (20, 16, 1, 70, 70, 3, 3, 1, 0, 0),
    ]
    for (cout, cin, batch, h, w, kh, kw, stride, ph, pw) in shapes {
      var weights = (0..<(cout * cin * kh * kw)).map { _ in Int8.random(in: -127...127, using: &rng)
      }
      var input = (0..<(cin * batch * h * w)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      // The worst case somewhere: a window of 255s under weights of ±127.
      for i in 0..<min(weights.count, kh * kw * cin) { weights[i] = i % 2 == 0 ? 127 : -127 }
      for i in 0..<min(input.count, 2 * w) { input[i] = 255 }
      let oh = (h + 2 * ph - kh) / stride + 1
      let ow = (w + 2 * pw - kw) / stride + 1
      var want = [Int32](repeating: 0, count: cout * batch * oh * ow)
      for o in 0..<cout {
        for j in 0..<batch {
          for oy in 0..<oh {
            for ox in 0..<ow {
              var acc: Int32 = 0
              for ch in 0..<cin {
                for ky in 0..<kh {
                  for kx in 0..<kw {
                    let iy = oy * stride - ph + ky
                    let ix = ox * stride - pw + kx
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    acc +=
                      Int32(weights[((o * cin + ch) * kh + ky) * kw + kx])
                      * Int32(input[((ch * batch + j) * h + iy) * w + ix])
                  }
                }
              }
              want[((o * batch + j) * oh + oy) * ow + ox] = acc
            }
          }
        }
      }
      let what = "\(cout)x\(cin)x\(kh)x\(kw)/\(stride) on \(batch)x\(h)x\(w)"
      for path in Kernels.int8Paths {
        let im2col = Kernels.int8Convolution(
          weights, input, outChannels: cout, channels: cin, batch: batch, height: h, width: w,
          kernelH: kh, kernelW: kw, stride: stride, padH: ph, padW: pw, path: path, im2col: true)
        // Counted, not compared as arrays: a failure's report stays short.
        func wrong(_ got: [Int32]) -> Int { zip(got, want).filter { $0 != $1 }.count }
        #expect(im2col.count == want.count && wrong(im2col) == 0, "\(path) im2col: \(what)")
        for (band, rows, columns) in [(Int.max, 1, 1), (Int.max, 2, 3), (3, 1, 2), (1, 3, 1)] {
          let got = Kernels.int8Convolution(
            weights, input, outChannels: cout, channels: cin, batch: batch, height: h, width: w,
            kernelH: kh, kernelW: kw, stride: stride, padH: ph, padW: pw, path: path,
            bandRows: band, rowParts: rows, columnParts: columns)
          #expect(
            got.count == want.count && wrong(got) == 0,
            "\(path): \(what), bands of \(band), \(rows)x\(columns) parts")
        }
      }
    }
  }

  @Test("requantized outputs: round(clamp((acc + integer bias) · M, 0, 255)) · out, every path")
  func requantizedEpilogue() {
    var rng = SplitMix(seed: 83)
    for (m, k, n) in [(7, 13, 17), (13, 64, 33), (19, 300, 65)] {
      let a = (0..<(m * k)).map { _ in Int8.random(in: -127...127, using: &rng) }
      let b = (0..<(k * n)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let acc = reference(a, b, m: m, k: k, n: n)
      // Multipliers that put the outputs across 0 ... 255 and past both ends; the last row is
      // not requantized (the float epilogue); every third multiplier is 0.5, with the first
      // column's sum placed on an exact half (below), which rounding half up would miss.
      let scale = (0..<m).map { i in i % 3 == 0 ? 0.5 : Float.random(in: 0.0005...0.05, using: &rng)
      }
      let bias = (0..<m).map { _ in Float.random(in: -3...3, using: &rng) }
      // On the rows of multiplier 0.5, the first column's sum lands on 201 · 0.5 = 100.5.
      let integerBias = (0..<m).map { i in
        i % 3 == 0 ? 201 - acc[i * n] : Int32.random(in: -20000...20000, using: &rng)
      }
      let outputScale = (0..<m).map { i in
        i == m - 1 ? 0 : Float.random(in: 0.01...0.2, using: &rng)
      }
      var want = [Float](repeating: 0, count: m * n)
      var halves = 0
      for i in 0..<m {
        for j in 0..<n {
          if outputScale[i] > 0 {
            let x = Float(acc[i * n + j] + integerBias[i]) * scale[i]
            if x > 0 && x < 255 && x - x.rounded(.down) == 0.5 { halves += 1 }
            want[i * n + j] = min(255, max(0, x)).rounded(.toNearestOrEven) * outputScale[i]
          } else {
            want[i * n + j] = max(0, Float(acc[i * n + j]) * scale[i] + bias[i])
          }
        }
      }
      #expect(halves > 0, "no output on an exact half: the test would not see the rounding")
      for path in Kernels.int8Paths {
        let got = Kernels.int8Requantized(
          a, b, m: m, k: k, n: n, scale: scale, bias: bias, integerBias: integerBias,
          outputScale: outputScale, path: path)
        #expect(
          got.map(\.bitPattern) == want.map(\.bitPattern), "\(path): \(m)x\(k)·\(k)x\(n)")
      }
    }
  }

  @Test("uint8 average pool: QLinearAveragePool's arithmetic, padding not counted, every path")
  func uint8AveragePool() {
    var rng = SplitMix(seed: 84)
    for (channels, batch, h, w) in [(5, 2, 5, 7), (8, 1, 17, 17), (3, 3, 1, 4), (4, 1, 8, 8)] {
      let x = (0..<(channels * batch * h * w)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let scale = Float.random(in: 0.001...0.1, using: &rng)
      var want = [UInt8](repeating: 0, count: x.count)
      for p in 0..<(channels * batch) {
        for y in 0..<h {
          for xx in 0..<w {
            // Dequantized, summed row by row in float, divided by the count, then by the scale.
            var sum: Float = 0
            for yy in max(0, y - 1)..<min(h, y + 2) {
              for xk in max(0, xx - 1)..<min(w, xx + 2) {
                sum += scale * Float(x[p * h * w + yy * w + xk])
              }
            }
            let count = Float((min(h, y + 2) - max(0, y - 1)) * (min(w, xx + 2) - max(0, xx - 1)))
            let v = (sum / count / scale).rounded(.toNearestOrEven)
            want[p * h * w + y * w + xx] = UInt8(min(255, max(0, v)))
          }
        }
      }
      for path in Kernels.int8Paths {
        let got = Kernels.int8AveragePool(
          x, channels: channels, batch: batch, height: h, width: w, scale: scale, path: path)
        #expect(got == want, "\(path): \(channels)x\(batch)x\(h)x\(w)")
      }
    }
  }

  @Test("the scalar path is always there; the fastest is the default unless HERO_ID_INT8 says")
  func paths() {
    #expect(Kernels.int8Paths.first == .scalar)
    #expect(Kernels.int8Paths.contains(Kernels.int8Path))
  }
}

/// The int8 network against fp32 on the reference images.
@Suite struct Int8NetworkTests {
  /// Per int8 layer, what the quantization of its input would cost on one fp32 pass: the
  /// energy Σx² of the input, the rounding noise of its non-zero values below the range
  /// (n·Δ²/12: uniform rounding error of step Δ = range/255; zeros are exact), and the clipping
  /// error Σ(x − range)² of the values above it.
  final class InputError: @unchecked Sendable {
    let lock = NSLock()
    var energy: [String: Double] = [:]
    var noise: [String: Double] = [:]
  }

  /// The predicted relative L2 error of an int8 bottleneck, from the quantization step sizes:
  /// each int8 layer adds to its output a relative error of e² = e_x² + e_w², e_x² the input's
  /// noise over its energy (above), e_w² the weights' Σ(w − q·s)² over Σw² (the same
  /// per-channel rounding, computed exactly from the weights). Errors of different layers are
  /// independent roundings, so their squares add; a layer does not amplify a relative error
  /// (a 1x1 or kxk convolution maps white noise to a relative size no larger than that of the
  /// signal, which lies along the filters' dominant directions; ReLU and the pools only shrink
  /// noise), and summing every layer, the parallel towers too, over-counts (a concatenation's
  /// relative error is its towers' weighted mean, not their sum). So √Σe² over-estimates the
  /// bottleneck's relative error.
  static func predictedRelativeError(
    weights: InceptionWeights, image: RGBImage, calibration: Int8Calibration
  ) -> Double {
    let stats = InputError()
    let net = InceptionV3(weights: weights, batchSize: 1)
    net.observeConvolutionInputs { key, values in
      // The first layer's signed input: step 1/128 over -1 ... 127/128, no value exact.
      let first = key == "conv"
      guard let range = first ? 127.0 / 128 : calibration.inputRanges[key] else { return }
      let step = first ? Double(Int8Calibration.firstLayerInput.scale) : Double(range) / 255
      var energy = 0.0
      var noise = 0.0
      for v in values {
        let x = Double(v)
        energy += x * x
        if first {
          noise += step * step / 12
        } else if x > Double(range) {
          noise += (x - Double(range)) * (x - Double(range))
        } else if x != 0 {
          noise += step * step / 12
        }
      }
      stats.lock.withLock {
        stats.energy[key] = energy
        stats.noise[key] = noise
      }
    }
    _ = net.bottleneck(image)
    var total = 0.0
    for key in ["conv"] + Int8Calibration.int8Layers {
      guard let conv = weights.foldedConv(key), let e = stats.energy[key], e > 0,
        let n = stats.noise[key]
      else { continue }
      let s = conv.shape
      let (q, scales) = Int8Quantization.quantizeWeights(
        conv.weights, rows: s.outChannels, columns: s.filterLength)
      var wErr = 0.0
      var wEnergy = 0.0
      for o in 0..<s.outChannels {
        for i in 0..<s.filterLength {
          let w = Double(conv.weights[o * s.filterLength + i])
          let d = w - Double(q[o * s.filterLength + i]) * Double(scales[o])
          wErr += d * d
          wEnergy += w * w
        }
      }
      total += n / e + (wEnergy > 0 ? wErr / wEnergy : 0)
    }
    return total.squareRoot()
  }

  @Test(
    "int8 bottlenecks of the reference images stay within 3x the error predicted from the steps",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func int8AgainstFP32() throws {
    let weights = try #require(Fixtures.weights)
    let refs = try Fixtures.references()
    let fp32 = InceptionV3(weights: weights, batchSize: 4)
    let int8 = InceptionV3(weights: weights, batchSize: 4, precision: .int8)
    #expect(int8.precision == .int8)
    let want = fp32.bottlenecks(refs.map(\.image))
    let got = int8.bottlenecks(refs.map(\.image))
    var lines: [String] = []
    for (i, ref) in refs.enumerated() {
      let err = relativeL2Error(got[i], want[i])
      let predicted = Self.predictedRelativeError(
        weights: weights, image: ref.image, calibration: .bundled)
      let a = Agreement(got[i], want[i])
      // The tolerance: 3x the prediction (a sum of many independent roundings is close to
      // normal; 3 standard deviations), and the prediction over-counts (see above).
      #expect(err <= 3 * predicted, "\(ref.name): relative error \(err), predicted \(predicted)")
      // Not trivially equal: int8 does change the floats.
      #expect(err > 0, "\(ref.name): int8 gave exactly the fp32 vector")
      lines.append(
        "\(ref.name): relative L2 \(String(format: "%.4f", err)), predicted "
          + "\(String(format: "%.4f", predicted)), cosine \(String(format: "%.5f", a.cosine))")
    }
    print("int8 against fp32:\n" + lines.joined(separator: "\n"))
  }

  @Test(
    "every int8 path gives bit-identical bottlenecks (one image, two lanes split too)",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func pathsAreBitIdentical() throws {
    let weights = try #require(Fixtures.weights)
    let refs = try Fixtures.references().filter { $0.image.width == 100 }
    let image = try #require(refs.first).image
    var vectors: [(Int8Path, [Float])] = []
    for path in Kernels.int8Paths {
      let net = InceptionV3(weights: weights, batchSize: 1, precision: .int8, int8Path: path)
      vectors.append((path, net.bottleneck(image)))
    }
    for (path, v) in vectors.dropFirst() {
      #expect(v == vectors[0].1, "\(path) against \(vectors[0].0)")
    }
    // A lone image with its layers split across a team of two: the int8 products are exact
    // and the fp32 parts split as in the fp32 network, so the same floats.
    let fastest = try #require(Kernels.int8Paths.last)
    let team = InceptionV3(
      weights: weights, batchSize: 1, threads: 2, precision: .int8, int8Path: fastest)
    #expect(team.bottleneck(image) == vectors[0].1)
  }
}

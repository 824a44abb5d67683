import ArgumentParser
import Classifier
import Foundation
import HeroCore
import Preprocess

/// `hero-id bottleneck IMAGE... --json`: the 2048-float Inception v3 bottleneck of each image.
struct Bottleneck: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bottleneck",
    abstract: "Print the Inception v3 pool_3 bottleneck (2048 floats) of each image.",
    discussion: """
      Each JPEG is decoded with libjpeg-turbo's accurate defaults, resized to 299x299 \
      (bilinear, half-pixel centres), normalised to (x - 128) / 128 and run through the network. \
      With --json, one line per image on stdout: {"image": "...", "bottleneck": [2048 floats]}, \
      or {"image": "...", "error": "..."} for an image that cannot be read (the others go on; \
      the exit status is then 1).
      """)

  @Argument(help: "JPEG images.")
  var images: [String]

  @Flag(help: "One JSON object per image on stdout.")
  var json = false

  @Option(
    help: "The weights file (default: $HERO_ID_INCEPTION or $HERO_ID_HOME/inception-2015-12-05.pt)."
  )
  var inception: String?

  @Option(help: "Images per forward pass.")
  var batchSize = 16

  @Option(
    help:
      "Threads (default: all cores): across the images of a batch, or splitting each layer of a lone image."
  )
  var threads: Int?

  @Option(help: .hidden)
  var bench: Int?

  /// With --bench: time per kind of layer, a table on stderr.
  @Flag(help: .hidden)
  var profile = false

  /// The 1x7/7x1 layers by im2col + GEMM instead of 1D Winograd (for comparisons).
  @Flag(name: .customLong("no-winograd-1d"), help: .hidden)
  var noWinograd1D = false

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    if let bench, bench < 1 { throw ValidationError("--bench must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  func run() async throws {
    let weights = try InceptionWeights.load(path: HeroIDHome.inceptionPath(override: inception))
    // One level of parallelism at a time, OpenBLAS at one thread: lanes across the images of a
    // batch, or each layer of a lone image split across the threads (InceptionV3 switches).
    let cores = threads ?? ProcessInfo.processInfo.activeProcessorCount
    if cores == 1 { BLAS.setThreads(1) }
    let net = InceptionV3(weights: weights, batchSize: batchSize, threads: cores)
    if noWinograd1D { net.oneDimensionalWinograd = false }
    if let bench {
      try runBench(net, count: bench)
      return
    }
    var failures = 0
    var first = 0
    while first < images.count {
      let paths = Array(images[first..<min(images.count, first + batchSize)])
      var decoded: [RGBImage] = []
      var outcome: [Result<Int, Error>] = []
      for path in paths {
        do {
          let data = try Data(contentsOf: URL(fileURLWithPath: path))
          decoded.append(try JPEG.decode(data, source: path))
          outcome.append(.success(decoded.count - 1))
        } catch let e as JPEGError {
          outcome.append(.failure(e))
        } catch {
          outcome.append(.failure(ImageReadError(path: path, reason: error.localizedDescription)))
        }
      }
      let vectors = net.bottlenecks(decoded)
      for (path, result) in zip(paths, outcome) {
        switch result {
        case .success(let i): emit(path, vectors[i])
        case .failure(let e):
          failures += 1
          printError("\(e)")
          if json {
            print("{\"image\": \(JSONString.quote(path)), \"error\": \(JSONString.quote("\(e)"))}")
          }
        }
      }
      first += paths.count
    }
    if failures > 0 { throw ExitCode(1) }
  }

  private func emit(_ path: String, _ v: [Float]) {
    if json {
      var s = "{\"image\": \(JSONString.quote(path)), \"bottleneck\": ["
      s.reserveCapacity(2048 * 12)
      for (i, x) in v.enumerated() {
        if i > 0 { s += ", " }
        s += x.description
      }
      s += "]}"
      print(s)
    } else {
      let head = v.prefix(4).map { String(format: "%.5f", $0) }.joined(separator: " ")
      let l2 = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      print("\(path): \(v.count) floats, L2 \(String(format: "%.4f", l2)), first \(head) ...")
    }
  }

  /// Times `count` images (the given ones, cycled) at --batch-size after one warm-up batch;
  /// prints one JSON line: images/s and peak RSS.
  private func runBench(_ net: InceptionV3, count: Int) throws {
    var pool: [RGBImage] = []
    for path in images {
      pool.append(try JPEG.decode(Data(contentsOf: URL(fileURLWithPath: path)), source: path))
    }
    guard !pool.isEmpty else { throw ValidationError("--bench needs at least one image") }
    let work = (0..<count).map { pool[$0 % pool.count] }
    _ = net.bottlenecks(Array(work.prefix(batchSize)))
    if profile { net.setProfiling(true) }
    let start = DispatchTime.now().uptimeNanoseconds
    let out = net.bottlenecks(work)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let rssMB = Double(usage.ru_maxrss) / 1024
    precondition(out.count == count)
    if let p = net.profile { printProfile(p, images: count, seconds: seconds) }
    print(
      String(
        format:
          "{\"engine\": \"hero-id\", \"batch_size\": %d, \"images\": %d, \"seconds\": %.3f, "
          + "\"images_per_second\": %.2f, \"peak_rss_mb\": %.0f, \"threads\": %d, \"blas_threads\": %d}",
        batchSize, count, seconds, Double(count) / seconds, rssMB, net.threads, BLAS.threads))
  }
}

/// The per-layer-kind table of `--bench N --profile` on stderr: seconds summed over the lanes,
/// milliseconds per image, share of the total, and GFLOP/s of direct convolution.
private func printProfile(_ p: LayerProfile, images: Int, seconds: Double) {
  let total = p.seconds.filter { !$0.key.hasPrefix("·") && !$0.key.hasPrefix("@") }.values
    .reduce(0, +)
  func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }
  var lines = [
    pad("kind", 36) + "   calls        s  ms/img       %  GFLOP/s"
  ]
  let kinds = p.seconds.filter { !$0.key.hasPrefix("@") }.sorted { $0.value > $1.value }
  let layers = p.seconds.filter { $0.key.hasPrefix("@") }.sorted { $0.value > $1.value }
  for (kind, s) in kinds + [("", 0)] + layers.prefix(30) {
    if kind.isEmpty {
      lines.append("the 30 slowest layers:")
      continue
    }
    let macs = p.multiplyAdds[kind] ?? 0
    let rate = macs > 0 ? String(format: "%8.1f", 2 * macs / s / 1e9) : "       -"
    lines.append(
      pad(kind, 36)
        + String(
          format: "%8d %8.3f %7.1f %6.1f%% ", p.calls[kind] ?? 0, s, 1000 * s / Double(images),
          100 * s / max(total, 1e-9)) + rate)
  }
  lines.append(
    String(
      format: "layers total %.3f s (%.1f ms/img); wall %.3f s for %d images", total,
      1000 * total / Double(images), seconds, images))
  FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
}

/// An image file that could not be read (before decoding).
struct ImageReadError: Error, CustomStringConvertible {
  let path: String
  let reason: String
  var description: String { "\(path): cannot read image (\(reason))" }
}

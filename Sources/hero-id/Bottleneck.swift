import ArgumentParser
import Foundation
import HeroCore
import HeroPipeline
import InceptionKernels

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

  @Option(
    help: ArgumentHelp(
      "The arithmetic of the convolutions: fp32 (the default) or int8 (every "
        + "convolution in int8, activations calibrated on training crops, the int8 export's "
        + "arithmetic; docs/int8.md).",
      valueName: "fp32|int8"))
  var precision = Precision.fp32

  /// A calibration table (JSON, from `calibrate --json`) instead of the bundled one, to compare
  /// range statistics.
  @Option(name: .customLong("int8-calibration"), help: .hidden)
  var int8Calibration: String?

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

  /// The 1x7/7x1 and 1x3/3x1 layers by im2col + GEMM instead of 1D Winograd (comparisons).
  @Flag(name: .customLong("no-winograd-1d"), help: .hidden)
  var noWinograd1D = false

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    if let bench, bench < 1 { throw ValidationError("--bench must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  func run() async throws {
    var o = BottleneckJob.Options()
    o.inception = inception
    o.batchSize = batchSize
    o.threads = threads
    o.profile = profile
    o.oneDimensionalWinograd = !noWinograd1D
    o.precision = precision
    if let int8Calibration { o.calibration = try Int8Calibration.load(jsonFile: int8Calibration) }
    var job = try BottleneckJob(options: o)
    if let bench {
      do {
        print(try job.benchmark(images, count: bench).text)
        if let table = job.lastProfileTable { printError(table) }
      } catch let e as ImageReadError {
        throw ValidationError("--bench needs at least one image (\(e))")
      }
      return
    }
    var failures = 0
    try job.run(images, control: .silent) { path, result in
      switch result {
      case .success(let v):
        print(json ? BottleneckJob.json(path, v).text : BottleneckJob.summaryLine(path, v))
      case .failure(let e):
        failures += 1
        printError("\(e)")
        if json { print(BottleneckJob.failedJSON(path, e).text) }
      }
    }
    if failures > 0 { throw ExitCode(1) }
  }
}

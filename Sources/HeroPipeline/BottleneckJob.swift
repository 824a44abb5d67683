import Foundation
import HeroCore
import Inception
import InceptionKernels
import Preprocess

/// `bottleneck`: the 2048-float Inception v3 `pool_3` vector of JPEG images, a batch at a time
/// (CONTRACT.md: libjpeg-turbo's accurate decode, bilinear 299x299, `(x - 128) / 128`).
public struct BottleneckJob {
  public struct Options: Sendable {
    /// `--inception` (nil: `$HERO_ID_INCEPTION` or the home folder's).
    public var inception: String?
    /// Images per forward pass.
    public var batchSize = 16
    /// Threads: across the images of a batch, or splitting each layer of a lone image
    /// (nil: all cores).
    public var threads: Int?
    /// In ``benchmark(_:count:)``: time each kind of layer (``InceptionV3/profile``).
    public var profile = false
    /// The 1xr/rx1 layers by 1D Winograd (the default) or by im2col + GEMM (for comparisons).
    public var oneDimensionalWinograd = true
    /// `--precision`: the convolutions' arithmetic (fp32, or int8: docs/int8.md).
    public var precision = Precision.fp32
    /// The int8 input ranges (the bundled table unless a comparison gives another).
    public var calibration = Int8Calibration.bundled
    public init() {}
  }

  public let options: Options
  public let network: InceptionV3
  /// The per-layer-kind table of the last ``benchmark(_:count:)`` with `options.profile`.
  public private(set) var lastProfileTable: String?

  /// Loads the weights and builds the network. One level of parallelism: OpenBLAS at one
  /// thread, the network's own lanes or team on the cores.
  public init(options: Options) throws {
    self.options = options
    let weights = try InceptionWeights.load(
      path: HeroIDHome.inceptionPath(override: options.inception))
    let cores = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
    ThreadPolicy(tasks: 1, decoderThreads: 0, blasThreads: 1).apply()
    network = InceptionV3(
      weights: weights, batchSize: options.batchSize, threads: cores,
      precision: options.precision, calibration: options.calibration)
    network.oneDimensionalWinograd = options.oneDimensionalWinograd
  }

  /// The bottleneck of each image, in order, handed to `emit` a batch at a time (so a long list
  /// is never held whole); an image that cannot be read gets its error.
  public func run(
    _ images: [String], control: JobControl,
    emit: (String, Result<[Float], any Error>) -> Void
  ) throws {
    control.observer.begin("bottleneck", total: images.count)
    var first = 0
    while first < images.count {
      try control.checkCancelled()
      let paths = Array(images[first..<min(images.count, first + options.batchSize)])
      var decoded: [RGBImage] = []
      var outcome: [Result<Int, any Error>] = []
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
      let vectors = network.bottlenecks(decoded)
      for (path, result) in zip(paths, outcome) {
        emit(path, result.map { vectors[$0] })
      }
      first += paths.count
      control.observer.advance("bottleneck", by: paths.count, note: "")
    }
    control.observer.finish("bottleneck")
  }

  /// Times `count` images (the given ones, cycled) at the batch size after one warm-up batch:
  /// images/s and peak RSS, as one JSON object.
  public mutating func benchmark(_ images: [String], count: Int) throws -> JSONValue {
    var pool: [RGBImage] = []
    for path in images {
      pool.append(try JPEG.decode(Data(contentsOf: URL(fileURLWithPath: path)), source: path))
    }
    guard !pool.isEmpty else { throw ImageReadError(path: "-", reason: "no image to time") }
    let work = (0..<count).map { pool[$0 % pool.count] }
    _ = network.bottlenecks(Array(work.prefix(options.batchSize)))
    if options.profile { network.setProfiling(true) }
    let start = DispatchTime.now().uptimeNanoseconds
    let out = network.bottlenecks(work)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    if let p = network.profile {
      lastProfileTable = p.table(images: count, seconds: seconds)
      network.setProfiling(false)
    }
    return .object([
      "engine": .string("hero-id"), "batch_size": .int(options.batchSize),
      "images": .int(out.count),
      "seconds": .rounded(seconds, 3), "images_per_second": .rounded(Double(count) / seconds, 2),
      "peak_rss_mb": .rounded(Double(usage.ru_maxrss) / 1024, 0), "threads": .int(network.threads),
      "blas_threads": .int(BLAS.threads),
    ])
  }
}

/// An image file that could not be read (before decoding).
public struct ImageReadError: Error, CustomStringConvertible {
  public let path: String
  public let reason: String
  public var description: String { "\(MessageText.escaped(path)): cannot read image (\(reason))" }
}

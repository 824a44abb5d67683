import ArgumentParser
import Foundation
import HeroCore
import HeroPipeline
import InceptionKernels

/// `hero-id calibrate CROPS_DIR` (hidden): the int8 input ranges measured on crops, printed as
/// the Swift source of `Sources/InceptionKernels/Int8CalibrationTable.swift`.
struct Calibrate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calibrate",
    abstract: "Measure the int8 activation ranges on crops; print the table as Swift source.",
    discussion: """
      Runs every .jpg under CROPS_DIR (sorted) through the fp32 network and records, for every \
      convolution that --precision int8 runs in int8, the range of the tensor it reads: the \
      largest value (--statistic max) or a percentile of all its values (--statistic 99.99). \
      The output is the committed table (see docs/int8.md for the command that made it).
      """,
    shouldDisplay: false)

  @Argument(help: "A folder of crops (e.g. what `hero-id extract --slots 1,2,3` wrote).")
  var crops: String

  @Option(help: "max, or a percentile such as 99.999.")
  var statistic = "max"

  @Option(help: "The words recorded as the table's source (default: the folder and counts).")
  var source: String?

  @Option(help: "The command recorded in the generated file's header.")
  var command: String?

  @Option(
    help: "The weights file (default: $HERO_ID_INCEPTION or $HERO_ID_HOME/inception-2015-12-05.pt)."
  )
  var inception: String?

  @Option(help: "Threads (default: all cores).")
  var threads: Int?

  @Flag(help: "Print the table as JSON instead (for `bottleneck --int8-calibration`).")
  var json = false

  func parsedStatistic() throws -> Int8RangeStatistic {
    if statistic == "max" { return .max }
    guard let p = Double(statistic), p > 0, p <= 100 else {
      throw ValidationError("--statistic must be max or a percentile in (0, 100]")
    }
    return .percentile(p)
  }

  func validate() throws {
    _ = try parsedStatistic()
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  func run() throws {
    var o = CalibrateJob.Options()
    o.inception = inception
    o.statistic = try parsedStatistic()
    o.threads = threads
    o.source = source
    let table = try CalibrateJob(options: o).run(folder: crops) { printError($0) }
    if json { return print(table.jsonText) }
    print(
      table.swiftSource(command: command ?? "hero-id calibrate \(crops) --statistic \(statistic)"),
      terminator: "")
  }
}

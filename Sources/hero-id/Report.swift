import ArgumentParser
import Foundation
import HeroCore
import HeroReport

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write one self-contained HTML page about a model, identify results or crops.",
    discussion: """
      Any mix of: --model DIR (training curves, confusion matrix on the test split, images per \
      hero and set, misclassified test crops), --identify FILE (identify --json lines, or a \
      batch identify CSV or --json report: per clip the answer, confidence, reason, a strip of \
      its key frames, its crops with --clip-crops), --crops DIR (a contact sheet per hero). \
      The page needs no network: styles inline, charts as SVG, images as data: URIs. \
      Open it in any browser (file://).
      """)

  @Option(help: "Model directory (from `hero-id train`).")
  var model: String?

  @Option(help: "The model's crop folder (default: the one `train` recorded).")
  var modelCrops: String?

  @Option(help: "Identify results: `identify --json` output, or a `batch identify` report.")
  var identify: [String] = []

  @Option(help: "The folder `identify --crops-dir` kept the clips' crops in.")
  var clipCrops: String?

  @Option(help: "A crop folder (one sub-folder per hero) to show as contact sheets.")
  var crops: [String] = []

  @Option(help: "At most this many crops per hero on a contact sheet (evenly spaced).")
  var maxPerHero = 200

  @Option(help: "Page title.")
  var title = "hero-id report"

  @Option(help: "The HTML file to write.")
  var out = "report.html"

  func validate() throws {
    guard model != nil || !identify.isEmpty || !crops.isEmpty else {
      throw ValidationError("give --model, --identify or --crops (or several)")
    }
    guard maxPerHero >= 1 else { throw ValidationError("--max-per-hero must be at least 1") }
  }

  func run() throws {
    var request = ReportRequest()
    request.title = title
    request.model = model
    request.modelCrops = modelCrops
    request.identify = identify
    request.clipCrops = clipCrops
    request.cropFolders = crops
    request.maxPerHero = maxPerHero
    let html = try HTMLReport.render(request)
    let url = URL(fileURLWithPath: out)
    do { try AtomicFile.write(Data(html.utf8), to: url) } catch {
      throw ReportError.cannotWrite(path: out, reason: FileSystemError.cause(of: error))
    }
    printError("report: wrote \(out) (\(html.utf8.count / 1024) KB)")
  }
}

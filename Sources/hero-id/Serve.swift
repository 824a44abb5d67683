import ArgumentParser
import Foundation
import HeroCore
import HeroPipeline
import HeroServe

struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "A local web page and JSON API: upload clips, see which hero they show.",
    discussion: """
      Binds 127.0.0.1 (loopback only) unless --host says otherwise; prints the address on \
      stdout once listening; stops on Ctrl-C or SIGTERM. The page uploads clips and shows \
      progress, the answer and the key-frame timeline. API: POST /identify?name=FILE with the \
      clip as the body (the identify --json object; 400 empty, 408 an upload idle for \
      --idle-timeout or unfinished at --request-timeout, 413 too large, 422 not a video, \
      503 busy or not identified within --request-timeout, with Retry-After: the seconds \
      until the earliest admitted job is expected to leave), POST /jobs?name=FILE then \
      GET /jobs/ID (progress, result), GET /healthz. Uploads live only in the server's own \
      temporary folder and are deleted once identified or refused.
      """)

  @Option(help: "Model directory (from `hero-id train`).")
  var model = "hero-model"

  @Option(help: "Address to bind (default loopback only).")
  var host = "127.0.0.1"

  @Option(help: "Port (0: any free port).")
  var port = 8080

  @Option(help: "Largest upload accepted, MB.")
  var maxUploadMb = 200

  @Option(help: "Clips identified at once.")
  var jobs = 1

  @Option(help: "Clips that may wait for a free slot (more uploads get 503 busy).")
  var queue = 4

  @Option(
    name: .customLong("idle-timeout"),
    help: ArgumentHelp(
      "Seconds an upload may send nothing before it gets 408 and its slot and file are freed.",
      valueName: "seconds"))
  var idleTimeout = 30.0

  @Option(
    name: .customLong("request-timeout"),
    help: ArgumentHelp(
      "Seconds a request may take in all (upload, wait, identification): then 408 while "
        + "uploading, else 503, and what it held is freed.",
      valueName: "seconds"))
  var requestTimeout = 600.0

  @OptionGroup var chain: IdentifyChainOptions

  func validate() throws {
    if let problem = ServeOptions.usageProblem(
      port: port, maxUploadMB: maxUploadMb, jobs: jobs, queue: queue,
      idleTimeoutSeconds: idleTimeout, requestTimeoutSeconds: requestTimeout)
    {
      throw ValidationError(problem)
    }
  }

  func run() async throws {
    let job = try IdentifyJob(options: chain.options(model: model, jobs: jobs), clips: jobs)
    let options = ServeOptions(
      host: host, port: port, maxUploadMB: maxUploadMb, jobs: jobs, queue: queue,
      idleTimeoutSeconds: idleTimeout, requestTimeoutSeconds: requestTimeout)
    let server = try HeroServer(
      options: options, identifier: PipelineIdentifier(job: job),
      modelDescription: "\(model) (\(job.model.labels.count) heroes)")
    try await server.run { url in
      FileHandle.standardOutput.write(Data("hero-id serve: listening on \(url)\n".utf8))
    }
  }
}

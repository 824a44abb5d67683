import ArgumentParser
import Foundation
import HeroPipeline

/// `hero-id doctor`: what this machine gives hero-id — the OpenBLAS kernel in use, threads, the
/// CPU, and the weights file.
struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Print the OpenBLAS kernel in use, the threads, the CPU and the weights found.",
    discussion: """
      The kernel is the one OpenBLAS runs in this process: when OpenBLAS picks a generic kernel \
      on a CPU with AVX2/FMA or AVX-512, hero-id restarts itself with OPENBLAS_CORETYPE set \
      (unless you set it) and checks the forced kernel against a plain loop. Exits 1 when the \
      weights are missing or do not match their SHA-1.
      """)

  @Option(
    help: "The weights file (default: $HERO_ID_INCEPTION or $HERO_ID_HOME/inception-2015-12-05.pt)."
  )
  var inception: String?

  @Flag(help: "Also time sgemm 512^3 at OpenBLAS's thread count (about 0.1 s).")
  var speed = false

  func run() throws {
    var o = DoctorJob.Options()
    o.inception = inception
    o.speed = speed
    let report = try DoctorJob(options: o).run()
    for line in report.lines { print(line) }
    if !report.weightsOK { throw ExitCode(1) }
  }
}

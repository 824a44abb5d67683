import ArgumentParser
import Classifier
import Foundation
import HeroCore

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
    let environment = ProcessInfo.processInfo.environment
    let cpu = OpenBLASKernel.CPU.current()
    let core = BLAS.corename
    let how: String
    switch OpenBLASKernel.lastDecision {
    case .keep(let reason)?: how = reason
    case .verify?:
      let before = OpenBLASKernel.replacedCore(environment: environment) ?? "another"
      how = "forced by hero-id (OpenBLAS picked \(before)); checked against a plain loop"
    case .reexecute?, nil: how = "not checked"
    }
    print("kernel: \(core) (\(how))")
    print("openblas: \(BLAS.config)")
    print(
      "threads: \(ProcessInfo.processInfo.activeProcessorCount) cores, "
        + "OpenBLAS \(BLAS.threads) threads")
    let model = cpu.modelName.isEmpty ? "unknown" : cpu.modelName
    let vendor = cpu.vendor.isEmpty ? "" : " (\(cpu.vendor))"
    print("cpu: \(model)\(vendor)")
    let wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
    let have = wanted.filter(cpu.flags.contains)
    let best = OpenBLASKernel.matchingCore(for: cpu) ?? "any"
    print(
      "cpu flags: \(have.isEmpty ? "none of sse4_2 avx avx2 fma avx512" : have.joined(separator: " "))"
        + " (best kernel: \(best))")
    if speed {
      print(String(format: "sgemm 512^3: %.1f GFLOP/s", OpenBLASKernel.sgemmRate(size: 512)))
    }
    let path = HeroIDHome.inceptionPath(override: inception)
    guard FileManager.default.fileExists(atPath: path) else {
      print("weights: \(path): missing (run make setup)")
      throw ExitCode(1)
    }
    let sha1 = try SHA1.hex(fileAt: path)
    if sha1 == Inception.expectedSHA1 {
      print("weights: \(path) (SHA-1 \(sha1) ok)")
    } else {
      print("weights: \(path): SHA-1 \(sha1), expected \(Inception.expectedSHA1)")
      throw ExitCode(1)
    }
  }
}

import Foundation
import Testing

/// `hero-id doctor` and the start-up kernel check: what it prints, its exit codes, and the
/// re-execution that falls back to the default kernel when a forced one is not what OpenBLAS
/// loaded (driven through the marker the re-execution sets).
@Suite struct DoctorCLITests {
  @Test func printsKernelThreadsCPUAndMissingWeights() throws {
    let r = try CLI.heroID(["doctor", "--inception", "/nonexistent/weights.pt"])
    #expect(r.status == 1)
    let lines = r.stdoutLines.map(String.init)
    #expect(lines.first?.hasPrefix("kernel: ") == true, "\(r.stdout)")
    #expect(lines.contains { $0.hasPrefix("threads: ") && $0.contains("OpenBLAS") })
    #expect(lines.contains { $0.hasPrefix("cpu: ") })
    #expect(lines.contains("weights: /nonexistent/weights.pt: missing (run make setup)"))
  }

  @Test func userCoreTypeIsKeptAndReported() throws {
    let r = try CLI.heroID(
      ["doctor", "--inception", "/nonexistent.pt"],
      environment: ["OPENBLAS_CORETYPE": "Prescott", "HERO_ID_OPENBLAS_REEXEC": nil])
    #expect(r.stdoutLines.first == "kernel: Prescott (OPENBLAS_CORETYPE=Prescott set by the user)")
    #expect(r.stderr.isEmpty)
  }

  @Test func forcedKernelThatDidNotLoadFallsBackOnceWithAWarning() throws {
    // As if a first run had forced a kernel this OpenBLAS does not know: the check sees another
    // kernel loaded, warns once and runs again on the default one, without looping.
    let r = try CLI.heroID(
      ["doctor", "--inception", "/nonexistent.pt"],
      environment: [
        "OPENBLAS_CORETYPE": "NoSuchCore", "HERO_ID_OPENBLAS_REEXEC": "forced:Prescott",
      ]
    )
    let warnings = r.stderrLines.filter { $0.contains("failed its check") }
    #expect(warnings.count == 1, "\(r.stderr)")
    #expect(
      r.stdoutLines.first?.hasSuffix("(the default kernel, after the forced one failed its check)")
        == true, "\(r.stdout)")
    #expect(r.status == 1)  // the weights path is missing; the kernel part went through
  }
}

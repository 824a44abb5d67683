import Foundation
import Inception
import InceptionKernels
import TestSupport
import Testing

/// The start-up kernel decision with faked corenames, CPU flags and environments, the
/// `/proc/cpuinfo` parser, and the GEMM self-check on the kernel this process loaded.
@Suite struct OpenBLASKernelTests {
  typealias CPU = OpenBLASKernel.CPU

  let avx2Intel = CPU(
    vendor: "GenuineIntel", modelName: "Intel Xeon Processor",
    flags: ["sse4_2", "avx", "avx2", "fma"])
  let avx2AMD = CPU(
    vendor: "AuthenticAMD", modelName: "AMD EPYC", flags: ["sse4_2", "avx", "avx2", "fma"])
  let avx512 = CPU(
    vendor: "GenuineIntel", modelName: "Intel Xeon Processor (Cascadelake)",
    flags: ["avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
  let sse = CPU(vendor: "GenuineIntel", modelName: "QEMU Virtual CPU", flags: ["sse2", "sse3"])

  @Test func genericKernelOnAVX2IntelForcesHaswell() {
    #expect(
      OpenBLASKernel.decide(corename: "Prescott", cpu: avx2Intel, environment: [:])
        == .reexecute(coreType: "Haswell"))
  }

  @Test func genericKernelOnAVX2AMDForcesZen() {
    #expect(
      OpenBLASKernel.decide(corename: "Prescott", cpu: avx2AMD, environment: [:])
        == .reexecute(coreType: "Zen"))
    // An AVX-only kernel leaves AVX2 and FMA unused too.
    #expect(
      OpenBLASKernel.decide(corename: "Sandybridge", cpu: avx2AMD, environment: [:])
        == .reexecute(coreType: "Zen"))
  }

  @Test func genericOrAVX2KernelOnAVX512ForcesSkylakeX() {
    for core in ["Prescott", "Haswell", "Nehalem"] {
      #expect(
        OpenBLASKernel.decide(corename: core, cpu: avx512, environment: [:])
          == .reexecute(coreType: "SkylakeX"))
    }
  }

  @Test func suitableKernelsAreKept() {
    for (core, cpu) in [
      ("Haswell", avx2Intel), ("Zen", avx2AMD), ("ZEN", avx2AMD), ("SkylakeX", avx512),
      ("CooperLake", avx512), ("Haswell", avx2AMD),
    ] {
      let d = OpenBLASKernel.decide(corename: core, cpu: cpu, environment: [:])
      #expect(d == .keep(reason: "detected by OpenBLAS"), "\(core) on \(cpu.modelName)")
    }
  }

  @Test func cpuWithoutAVX2IsLeftAlone() {
    guard case .keep = OpenBLASKernel.decide(corename: "Prescott", cpu: sse, environment: [:])
    else {
      Issue.record("an SSE-only CPU must keep OpenBLAS's choice")
      return
    }
    // AVX2 without FMA (and AVX-512 missing a part) is not enough for the forced kernels.
    let noFMA = CPU(vendor: "GenuineIntel", modelName: "x", flags: ["avx", "avx2"])
    #expect(OpenBLASKernel.matchingCore(for: noFMA) == nil)
    let partial = CPU(vendor: "GenuineIntel", modelName: "x", flags: ["avx2", "fma", "avx512f"])
    #expect(OpenBLASKernel.matchingCore(for: partial) == "Haswell")
  }

  @Test func userCoreTypeWins() {
    let d = OpenBLASKernel.decide(
      corename: "Prescott", cpu: avx512, environment: ["OPENBLAS_CORETYPE": "Haswell"])
    guard case .keep(let reason) = d else {
      Issue.record("expected keep, got \(d)")
      return
    }
    #expect(reason.contains("OPENBLAS_CORETYPE=Haswell"))
    // An empty value is no choice.
    #expect(
      OpenBLASKernel.decide(
        corename: "Prescott", cpu: avx512, environment: ["OPENBLAS_CORETYPE": ""])
        == .reexecute(coreType: "SkylakeX"))
  }

  @Test func markerStopsAnySecondReexecution() {
    // The re-executed process verifies the kernel it was given ...
    let forced = [
      "OPENBLAS_CORETYPE": "Haswell", OpenBLASKernel.markerVariable: "forced:Prescott",
    ]
    #expect(
      OpenBLASKernel.decide(corename: "Haswell", cpu: avx2Intel, environment: forced)
        == .verify(coreType: "Haswell"))
    // ... even when OpenBLAS ignored it (the check then fails and falls back).
    #expect(
      OpenBLASKernel.decide(corename: "Prescott", cpu: avx2Intel, environment: forced)
        == .verify(coreType: "Haswell"))
    #expect(OpenBLASKernel.replacedCore(environment: forced) == "Prescott")
    // After the fallback, a generic kernel stays.
    let d = OpenBLASKernel.decide(
      corename: "Prescott", cpu: avx2Intel,
      environment: [OpenBLASKernel.markerVariable: "fallback"])
    guard case .keep = d else {
      Issue.record("expected keep after the fallback, got \(d)")
      return
    }
    #expect(OpenBLASKernel.replacedCore(environment: [:]) == nil)
  }

  @Test func parsesTheFirstProcessorOfCpuinfo() {
    let text = """
      processor\t: 0
      vendor_id\t: AuthenticAMD
      model name\t: AMD EPYC
      flags\t\t: fpu sse4_2 avx fma avx2 bmi2

      processor\t: 1
      vendor_id\t: GenuineIntel
      model name\t: Other
      flags\t\t: fpu avx512f

      """
    let cpu = CPU.parse(cpuinfo: text)
    #expect(cpu.vendor == "AuthenticAMD")
    #expect(cpu.modelName == "AMD EPYC")
    #expect(cpu.flags == ["fpu", "sse4_2", "avx", "fma", "avx2", "bmi2"])
    #expect(cpu.hasAVX2 && cpu.isAMD && !cpu.hasAVX512)
    #expect(OpenBLASKernel.matchingCore(for: cpu) == "Zen")
    let empty = CPU.parse(cpuinfo: "")
    #expect(empty.flags.isEmpty && empty.modelName.isEmpty)
    #expect(OpenBLASKernel.matchingCore(for: empty) == nil)
  }

  @Test func loadedKernelPassesTheSelfCheckAndIsSuitable() {
    // Relative to Σ|aᵢbᵢ|: a sum of 61 products rounded to Float, in any order.
    let error = OpenBLASKernel.selfCheckError()
    #expect(Double(error) <= RoundingBound.gamma(62), "sgemm against a plain loop: \(error)")
    let cpu = CPU.current()
    // Where this machine's OpenBLAS picks a generic kernel, the decision must force one.
    let d = OpenBLASKernel.decide(corename: BLAS.corename, cpu: cpu, environment: [:])
    if OpenBLASKernel.isSuitable(corename: BLAS.corename, for: cpu) {
      #expect(
        d == .keep(reason: "detected by OpenBLAS") || OpenBLASKernel.matchingCore(for: cpu) == nil)
    } else {
      #expect(d == .reexecute(coreType: OpenBLASKernel.matchingCore(for: cpu) ?? "?"))
    }
  }

  /// `scripts/test.sh` runs this suite once per kernel the CPU runs, with `OPENBLAS_CORETYPE`
  /// set and `HERO_ID_EXPECT_CORE` naming it: the loop is only worth something if OpenBLAS
  /// really loaded that kernel (an unknown name falls back to the detected one, silently).
  @Test(
    "the OpenBLAS kernel the test run asked for is the one loaded",
    .enabled(if: ProcessInfo.processInfo.environment["HERO_ID_EXPECT_CORE"] != nil))
  func requestedKernelIsLoaded() {
    let wanted = ProcessInfo.processInfo.environment["HERO_ID_EXPECT_CORE"] ?? ""
    #expect(BLAS.corename.lowercased() == wanted.lowercased(), "loaded \(BLAS.corename)")
    print("kernels: OpenBLAS \(BLAS.corename) loaded, hero-id GEMM \(Kernels.packedGEMM)")
  }
}

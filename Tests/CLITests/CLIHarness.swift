import Foundation
import Testing

/// Runs the built `hero-id` binary (and, to make fixtures, the ffmpeg program) for the CLI tests.
///
/// The binary is looked for next to the test bundle (the build's bin folder, e.g.
/// `.build/release/`), then in this checkout's `.build/release/`; `HERO_ID_BIN` overrides both.
/// `swift test -c release` builds it; if it is missing, the tests fail saying how to build it.
enum CLI {
  struct Result {
    let status: Int32
    let stdout: String
    let stderr: String
    /// True when the run was stopped by the `timeout` given (a hang; the test fails on it).
    var timedOut = false
    var stderrLines: [Substring] { stderr.split(separator: "\n") }
    var stdoutLines: [Substring] { stdout.split(separator: "\n") }
  }

  struct BinaryMissing: Error, CustomStringConvertible {
    let looked: [String]
    var description: String {
      "hero-id binary not found (looked at \(looked.joined(separator: ", "))); "
        + "build it first: swift build -c release --product hero-id"
    }
  }

  /// The candidate paths of the binary, in order.
  static var candidates: [String] {
    var paths: [String] = []
    if let env = ProcessInfo.processInfo.environment["HERO_ID_BIN"] { paths.append(env) }
    let bundle = Bundle.main.bundleURL
    paths.append(bundle.appendingPathComponent("hero-id").path)
    paths.append(bundle.deletingLastPathComponent().appendingPathComponent("hero-id").path)
    let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    paths.append(checkout.appendingPathComponent(".build/release/hero-id").path)
    return paths
  }

  static func binary() throws -> String {
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else { throw BinaryMissing(looked: candidates) }
    return path
  }

  /// Runs `hero-id arguments…` in `directory` and waits for it; `environment` is added to (or,
  /// for a nil value, removed from) this process's environment. `timeout` (seconds) is a guard
  /// against a hang, never a measure: a run still going then is killed and `timedOut` set, so
  /// the test fails instead of blocking the suite; give it generously.
  static func heroID(
    _ arguments: [String], in directory: URL? = nil, environment: [String: String?] = [:],
    timeout: Double? = nil
  ) throws -> Result {
    try execute(
      URL(fileURLWithPath: try binary()), arguments, in: directory, environment: environment,
      timeout: timeout)
  }

  /// Runs the `sample-maker` binary built beside `hero-id` (to render fixture clips).
  static func sampleMaker(_ arguments: [String]) throws -> Result {
    let path = URL(fileURLWithPath: try binary()).deletingLastPathComponent()
      .appendingPathComponent("sample-maker")
    return try execute(path, arguments)
  }

  /// Makes a small H.264 clip (320x240 testsrc, 2 s, a key frame every 10 frames) at `path`.
  static func makeClip(at path: String) throws {
    let made = try execute(
      URL(fileURLWithPath: "/usr/bin/env"),
      [
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
        "testsrc=size=320x240:rate=25", "-t", "2", "-c:v", "libx264", "-g", "10",
        "-keyint_min", "10", "-sc_threshold", "0", "-pix_fmt", "yuv420p", path,
      ])
    if made.status != 0 { throw BinaryMissing(looked: ["ffmpeg: \(made.stderr)"]) }
  }

  /// Runs `hero-id arguments…` with `HERO_ID_STOP_AT=point` (``StopPoint``): when the process
  /// stops itself there, kills it with SIGKILL and returns true; false when it exited without
  /// reaching the point. No timing window: the kill lands at the point on any machine. A run
  /// that neither stops nor exits within 10 minutes is killed and recorded as a hang.
  static func killAt(_ point: String, _ arguments: [String], in directory: URL? = nil) throws
    -> Bool
  {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try binary())
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["HERO_ID_STOP_AT"] = point
    p.environment = env
    if let directory { p.currentDirectoryURL = directory }
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let stat = "/proc/\(p.processIdentifier)/stat"
    for _ in 0..<120_000 {
      guard p.isRunning else { return false }
      // Field 3 of /proc/PID/stat, after the parenthesised command name: "T" when stopped.
      if let text = try? String(contentsOfFile: stat, encoding: .utf8),
        let close = text.lastIndex(of: ")"),
        text[text.index(after: close)...].split(separator: " ").first == "T"
      {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return true
      }
      usleep(5_000)
    }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    Issue.record("hero-id \(arguments.joined(separator: " ")) neither reached \(point) nor ended")
    return false
  }

  /// The folder every temporary folder of this test process lies in (`hero-id-cli-PID`),
  /// removed when the process exits; folders of test processes that died are removed when the
  /// next one starts. A suite of 300 tests left a gigabyte of clips and crops in /tmp before.
  static let scratchRoot: URL = {
    let tmp = FileManager.default.temporaryDirectory
    for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []
    where name.hasPrefix("hero-id-cli-") {
      let pid = Int32(name.dropFirst("hero-id-cli-".count)) ?? 0
      // An old folder of another naming, or of a process that is gone.
      if pid <= 0 || kill(pid, 0) != 0 && errno == ESRCH {
        try? FileManager.default.removeItem(at: tmp.appendingPathComponent(name))
      }
    }
    let root = tmp.appendingPathComponent("hero-id-cli-\(getpid())")
    try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: CLI.scratchRoot) }
    return root
  }()

  /// A new empty temporary folder (under ``scratchRoot``).
  static func temporaryDirectory() throws -> URL {
    let dir = scratchRoot.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  private static func execute(
    _ executable: URL, _ arguments: [String], in directory: URL? = nil,
    environment: [String: String?] = [:], timeout: Double? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty {
      var env = ProcessInfo.processInfo.environment
      for (k, v) in environment { env[k] = v }
      process.environment = env
    }
    if let directory { process.currentDirectoryURL = directory }
    let stdoutFile = try temporaryFile()
    let stderrFile = try temporaryFile()
    defer {
      try? FileManager.default.removeItem(at: stdoutFile.url)
      try? FileManager.default.removeItem(at: stderrFile.url)
    }
    process.standardOutput = stdoutFile.handle
    process.standardError = stderrFile.handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let guardFlag = TimeoutGuard()
    if let timeout {
      let pid = process.processIdentifier
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
        if guardFlag.expire() { kill(pid, SIGKILL) }
      }
    }
    process.waitUntilExit()
    guardFlag.finish()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: try Data(contentsOf: stdoutFile.url), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: stderrFile.url), as: UTF8.self),
      timedOut: guardFlag.expired)
  }

  /// Output goes to files, not pipes, so a chatty child can never block on a full pipe.
  private static func temporaryFile() throws -> (url: URL, handle: FileHandle) {
    let url = scratchRoot.appendingPathComponent("\(UUID().uuidString).out")
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
      throw CocoaError(.fileWriteUnknown)
    }
    return (url, try FileHandle(forWritingTo: url))
  }
}

/// The time-out guard of one run: `expire` (the deadline) wins only while the run has not
/// finished, so a finished run is never killed or reported as timed out.
private final class TimeoutGuard: @unchecked Sendable {
  private let lock = NSLock()
  private var finished = false
  private var didExpire = false
  /// At the deadline: true (kill it) when the run is still going.
  func expire() -> Bool {
    lock.withLock {
      if !finished { didExpire = true }
      return didExpire
    }
  }
  func finish() { lock.withLock { finished = true } }
  var expired: Bool { lock.withLock { didExpire } }
}

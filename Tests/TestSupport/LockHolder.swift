import Foundation

/// Another process holding `FolderLock`'s kind of lock (a POSIX record lock, Python's
/// `fcntl.lockf`) on a file, for as long as the test needs it: no time window. `init` returns
/// once the child has the lock (it says so on its stdout); `release()` (or the end of the test)
/// closes its stdin, and it exits.
public final class LockHolder {
  private let process = Process()
  private let input = Pipe()

  public init(_ path: String) throws {
    let output = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", "-c",
      "import fcntl,sys\nf=open(sys.argv[1],'a')\nfcntl.lockf(f,fcntl.LOCK_EX)\n"
        + "print('locked',flush=True)\nsys.stdin.read()\n",
      path,
    ]
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let said = String(decoding: output.fileHandleForReading.readData(ofLength: 6), as: UTF8.self)
    guard said == "locked" else {
      release()
      throw LockProbeFailed(description: "the lock holder (python3 fcntl.lockf) did not start")
    }
  }

  /// Lets the lock go and waits for the holder to exit.
  public func release() {
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
  }

  deinit { release() }

  /// True when another process holds the lock on `path`. Any other outcome of the probe (no
  /// python3, an error) throws: a lock test can never pass for the wrong reason.
  public static func isLocked(_ path: String) throws -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [
      "python3", "-c",
      "import fcntl,sys\nf=open(sys.argv[1],'a')\n"
        + "try: fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nexcept OSError: sys.exit(3)\n",
      path,
    ]
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    switch p.terminationStatus {
    case 0: return false
    case 3: return true
    default:
      throw LockProbeFailed(
        description: "the lock probe (python3 fcntl.lockf) exited \(p.terminationStatus)")
    }
  }
}

/// The lock helper could not run.
public struct LockProbeFailed: Error, CustomStringConvertible {
  public var description: String
}

import Foundation
import HeroCore
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// One classification of the machine's failures (``MachineFailure``) for every error that
/// carries an errno: the journal's, a write's, a raw call's, Foundation's (issue 29).
@Suite struct MachineFailureTests {
  @Test func aJournalOnAFullDiskIsTheMachinesFault() throws {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    let journal = try Journal(url: URL(fileURLWithPath: "/dev/full"))
    do {
      try journal.append(["kind": "run"])
      Issue.record("a write to /dev/full succeeded")
    } catch {
      #expect(MachineFailure.code(of: error) == ENOSPC)
      #expect("\(error)".contains("No space left on device"), "\(error)")
      // A write error wrapping it keeps the errno.
      #expect(WriteError(path: "/o/x", what: "report", error: error).code == ENOSPC)
    }
  }

  @Test func everyErrorWithAnErrnoIsClassified() {
    for code in [ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EIO] {
      #expect(
        MachineFailure.code(of: FileSystemError(path: "/p", call: "open", code: code)) == code)
      #expect(MachineFailure.code(of: WriteError(path: "/p", what: "crop", code: code)) == code)
      #expect(
        MachineFailure.code(of: JournalError.writeFailed(path: "/j", reason: "r", code: code))
          == code)
      #expect(MachineFailure.code(of: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)) == code)
      let cocoa = NSError(
        domain: NSCocoaErrorDomain, code: 640,
        userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(code))])
      #expect(MachineFailure.code(of: cocoa) == code)
    }
    // The input's faults, and errors with no errno.
    for code in [ENOTDIR, ENOENT, EISDIR, EINVAL] {
      #expect(
        !MachineFailure.isMachineFailure(FileSystemError(path: "/p", call: "open", code: code)))
    }
    #expect(!MachineFailure.isMachineFailure(JournalError.writeFailed(path: "/j", reason: "r")))
    #expect(!MachineFailure.isMachineFailure(JournalError.cannotRead(path: "/j", reason: "r")))
    #expect(MachineFailure.exitStatus == 75)
  }
}

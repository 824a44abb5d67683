import Foundation
import HeroCore
import Labeler
import Testing

/// A video the machine kept from finishing (a full disk, a read-only file system, permissions)
/// is journaled `unfinished`: reported, never settled, so the next run processes it again
/// without `--retry-failed` (issue 29).
@Suite struct UnfinishedTests {
  func store(_ dir: URL) throws -> BatchStore {
    try BatchStore(
      journalURL: dir.appendingPathComponent(".batch/journal.jsonl"), cropRoot: dir, options: [:])
  }

  @Test func anUnfinishedVideoIsReportedButNeverSettled() async throws {
    let dir = try temporaryFolder()
    let video = dir.appendingPathComponent("a.mp4")
    try Data("video".utf8).write(to: video)
    let stamp = try #require(FileStamp(path: video.path))
    let file = VideoFile(path: video.path, relativePath: "a.mp4", label: "李白")
    let s = try store(dir)
    #expect(await s.claim(hash: "h", video: "a.mp4", includeFailed: true).isFresh)
    var r = BatchRecord(.unfinished, video: "a.mp4", hash: "h")
    r.size = stamp.size
    r.mtime = stamp.mtime
    r.error =
      "/t/a.mp4: /o/.batch/staging/x/000001.jpg: cannot write staged crop (No space left on device)"
    try await s.settle(r)
    for reopened in [s, try store(dir)] {
      // Neither by path (even asking for failures) nor by content.
      #expect(await reopened.settled(file, includeFailed: true) == nil)
      #expect(await reopened.claim(hash: "h", video: "b.mp4", includeFailed: true).isFresh)
      #expect(await reopened.allSettled().map(\.kind) == [.unfinished])
    }
    // A later run that finishes it settles it.
    let again = try store(dir)
    #expect(await again.claim(hash: "h", video: "a.mp4", includeFailed: false).isFresh)
    var done = r
    done.kind = .done
    done.error = nil
    try await again.settle(done)
    let last = try store(dir)
    #expect(await last.settled(file, includeFailed: false)?.kind == .done)
  }

  @Test func aDuplicateOfAnUnfinishedVideoSaysSo() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    var r = BatchRecord(.unfinished, video: "a.mp4", hash: "h")
    r.error = "/t/a.mp4: cannot read file (Permission denied)"
    try await s.settle(r)
    var dup = BatchRecord(.duplicate, video: "b.mp4", hash: "h")
    dup.duplicateOf = "a.mp4"
    try await s.settle(dup)
    let resolved = await s.resolved(dup)
    #expect(resolved.error?.contains("which failed: /t/a.mp4: cannot read file") == true)
  }

  /// What a binary from before `unfinished` does with such a line: it cannot decode the kind,
  /// skips the line (counted), and reads the rest; the video is then not settled for it either.
  @Test func anOlderReaderSkipsTheLine() throws {
    struct OldRecord: Decodable {
      enum Kind: String, Decodable { case run, begin, done, abort, failed, duplicate }
      var kind: Kind
      var video: String?
    }
    let text = """
      {"kind":"run","options":{}}
      {"error":"x: cannot write staged crop (No space left on device)","hash":"h","kind":"unfinished","video":"a.mp4"}
      {"hash":"k","kind":"done","video":"b.mp4"}

      """
    let old = Journal.decode(OldRecord.self, from: Data(text.utf8))
    #expect(old.records.map(\.kind) == [.run, .done])
    #expect(old.skippedLines == 1)
    let now = Journal.decode(BatchRecord.self, from: Data(text.utf8))
    #expect(now.records.map(\.kind) == [.run, .unfinished, .done])
    #expect(now.skippedLines == 0)
  }

  @Test func batchErrorsCarryTheMachinesErrno() {
    let full = BatchError.machine(
      "/t/a.mp4: x.jpg: cannot write staged crop (No space left on device)", code: ENOSPC)
    #expect(MachineFailure.code(of: full) == ENOSPC)
    #expect("\(full)" == "/t/a.mp4: x.jpg: cannot write staged crop (No space left on device)")
    #expect(!MachineFailure.isMachineFailure(BatchError.stage("/t/a.mp4: cannot open video")))
  }
}

import Foundation
import HeroCore
import Labeler
import Testing

/// Duplicates point at the video that was processed for their content (issue 29), in this
/// run, after a restart, and in journals written before the rule (chains of duplicates).
@Suite struct DuplicateTests {
  func store(_ dir: URL) throws -> BatchStore {
    try BatchStore(
      journalURL: dir.appendingPathComponent(".batch/journal.jsonl"), cropRoot: dir, options: [:])
  }

  func failed(_ video: String, hash: String) -> BatchRecord {
    var r = BatchRecord(.failed, video: video, hash: hash)
    r.error = "/tree/\(video): empty file (0 bytes)"
    return r
  }

  func duplicate(_ video: String, of original: String, hash: String) -> BatchRecord {
    var r = BatchRecord(.duplicate, video: video, hash: hash)
    r.duplicateOf = original
    return r
  }

  /// The video a claim of `hash` is told the content was settled under.
  func settledUnder(_ s: BatchStore, hash: String, video: String) async -> String? {
    if case .settled(let r) = await s.claim(hash: hash, video: video, includeFailed: true) {
      return r.video
    }
    return nil
  }

  @Test func everyCopyOfAFailedVideoPointsAtIt() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    #expect(await s.claim(hash: "e", video: "e0.mp4", includeFailed: true).isFresh)
    try await s.settle(failed("e0.mp4", hash: "e"))
    for i in 1..<5 {
      // Before the fix the third copy was told a duplicate of the second.
      let under = await settledUnder(s, hash: "e", video: "e\(i).mp4")
      #expect(under == "e0.mp4")
      try await s.settle(duplicate("e\(i).mp4", of: under ?? "?", hash: "e"))
    }
    let all = await s.allSettled()
    #expect(all.count == 5)
    for r in all where r.kind == .duplicate {
      #expect(r.duplicateOf == "e0.mp4")
      #expect(
        r.error == "\(r.video ?? ""): duplicate of e0.mp4 (which failed: "
          + "/tree/e0.mp4: empty file (0 bytes))")
    }
    // After a restart the journal says the same.
    let reopened = try store(dir)
    #expect(await settledUnder(reopened, hash: "e", video: "e9.mp4") == "e0.mp4")
    #expect(await reopened.allSettled() == all)
  }

  @Test func aDuplicateOfADoneVideoCarriesNoError() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    #expect(await s.claim(hash: "k", video: "a.mp4", includeFailed: true).isFresh)
    try await s.settle(BatchRecord(.done, video: "a.mp4", hash: "k"))
    try await s.settle(duplicate("b.mp4", of: "a.mp4", hash: "k"))
    try await s.settle(duplicate("c.mp4", of: "a.mp4", hash: "k"))
    #expect(await settledUnder(s, hash: "k", video: "d.mp4") == "a.mp4")
    let dups = await s.allSettled().filter { $0.kind == .duplicate }
    #expect(dups.count == 2 && dups.allSatisfy { $0.duplicateOf == "a.mp4" && $0.error == nil })
  }

  @Test func chainsInAnOldJournalResolveToTheProcessedVideo() async throws {
    let dir = try temporaryFolder()
    let journal = dir.appendingPathComponent(".batch/journal.jsonl")
    try FileManager.default.createDirectory(
      at: journal.deletingLastPathComponent(), withIntermediateDirectories: true)
    // As an older version wrote it: each copy a duplicate of the one before, and a loop.
    let lines = [
      #"{"kind":"run","options":{}}"#,
      #"{"error":"/t/a.mp4: empty file (0 bytes)","hash":"h","kind":"failed","video":"a.mp4"}"#,
      #"{"duplicateOf":"a.mp4","hash":"h","kind":"duplicate","video":"b.mp4"}"#,
      #"{"duplicateOf":"b.mp4","hash":"h","kind":"duplicate","video":"c.mp4"}"#,
      #"{"duplicateOf":"c.mp4","hash":"h","kind":"duplicate","video":"d.mp4"}"#,
      #"{"duplicateOf":"y.mp4","hash":"g","kind":"duplicate","video":"x.mp4"}"#,
      #"{"duplicateOf":"x.mp4","hash":"g","kind":"duplicate","video":"y.mp4"}"#,
    ]
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: journal)
    let s = try store(dir)
    #expect(await settledUnder(s, hash: "h", video: "e.mp4") == "a.mp4")
    let all = await s.allSettled()
    let byVideo = Dictionary(uniqueKeysWithValues: all.map { ($0.video ?? "", $0) })
    for v in ["b.mp4", "c.mp4", "d.mp4"] {
      #expect(byVideo[v]?.duplicateOf == "a.mp4")
      #expect(byVideo[v]?.error?.contains("duplicate of a.mp4 (which failed: /t/a.mp4: ") == true)
    }
    // A loop ends (each names the other), with no error.
    #expect(byVideo["x.mp4"]?.duplicateOf == "y.mp4" && byVideo["x.mp4"]?.error == nil)
  }

  @Test func aRetryThatWorksReplacesTheFailure() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    try await s.settle(failed("a.mp4", hash: "h"))
    try await s.settle(duplicate("b.mp4", of: "a.mp4", hash: "h"))
    // --retry-failed: the failure is not settled, a fresh claim; it works this time.
    #expect(await s.claim(hash: "h", video: "a.mp4", includeFailed: false).isFresh)
    try await s.settle(BatchRecord(.done, video: "a.mp4", hash: "h"))
    #expect(await settledUnder(s, hash: "h", video: "c.mp4") == "a.mp4")
    let b = await s.allSettled().first { $0.video == "b.mp4" }
    #expect(b?.duplicateOf == "a.mp4" && b?.error == nil)
  }
}

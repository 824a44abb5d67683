import Foundation
import HeroCore
import Labeler
import Testing

/// The one writer of a crop folder (`BatchStore`): commits, counters, keys, roll-back, claims.
@Suite struct CropFolderTests {
  /// A store on a new crop folder `dir` (journal in `dir/.batch/`).
  func store(_ dir: URL, options: [String: String] = [:]) throws -> BatchStore {
    try BatchStore(
      journalURL: dir.appendingPathComponent(".batch/journal.jsonl"), cropRoot: dir,
      options: options)
  }

  /// Stages `bytes.count` crops (one file each, the given bytes) for hero `hero`.
  func staged(_ dir: URL, hero: String, bytes: [UInt8], firstPts: Double = 1) throws
    -> StagedVideo
  {
    let staging = dir.appendingPathComponent("staging-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
    var crops: [StagedCrop] = []
    for (i, b) in bytes.enumerated() {
      let url = staging.appendingPathComponent("\(i).jpg")
      try Data([b]).write(to: url)
      crops.append(StagedCrop(file: url, ptsSeconds: firstPts + Double(i), screen: "gameplay"))
    }
    return StagedVideo(hero: hero, frames: bytes.count, screens: [:], crops: crops)
  }

  @Test func chineseLabelsRoundTripThroughFilesIndexAndKeys() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    let done = try await s.commitCrops(
      try staged(dir, hero: "李白", bytes: [7, 8]),
      record: BatchRecord(.done, video: "videos/李白,1.mp4", hash: "k1"), link: false)
    #expect(done.crops?.map(\.file) == ["李白/李白_000001.jpg", "李白/李白_000002.jpg"])
    #expect(
      FileManager.default.contents(atPath: dir.appendingPathComponent("李白/李白_000002.jpg").path)
        == Data([8]))
    let rows = try CropIndex.read(root: dir.path)
    #expect(
      rows
        == [
          IndexRow(
            file: "李白/李白_000001.jpg", video: "videos/李白,1.mp4", ptsSeconds: 1,
            screen: .gameplay, hero: "李白"),
          IndexRow(
            file: "李白/李白_000002.jpg", video: "videos/李白,1.mp4", ptsSeconds: 2,
            screen: .gameplay, hero: "李白"),
        ])
    let text = try String(
      contentsOf: dir.appendingPathComponent("index.csv"), encoding: .utf8)
    #expect(text.hasPrefix("file,video,pts_seconds,screen,hero\n"))
    #expect(text.contains("\"videos/李白,1.mp4\""))
    #expect(try CropIndex.readKeys(root: dir) == ["k1|1.000", "k1|2.000"])
  }

  @Test func countersContinueAfterExistingFilesAndSkipTakenNames() async throws {
    let dir = try temporaryFolder()
    let hero = dir.appendingPathComponent("貂蝉")
    try FileManager.default.createDirectory(at: hero, withIntermediateDirectories: true)
    for name in ["貂蝉_000007.jpg", "貂蝉_000003.jpg", "貂蝉_notanumber.jpg", "other_000099.jpg"] {
      try Data([1]).write(to: hero.appendingPathComponent(name))
    }
    let s = try store(dir)
    let first = try await s.commitCrops(
      try staged(dir, hero: "貂蝉", bytes: [2]), record: BatchRecord(.done, video: "a", hash: "a"),
      link: false)
    #expect(first.crops?.map(\.file) == ["貂蝉/貂蝉_000008.jpg"])
    // A file put there meanwhile is skipped, never overwritten.
    try Data([9]).write(to: hero.appendingPathComponent("貂蝉_000009.jpg"))
    let second = try await s.commitCrops(
      try staged(dir, hero: "貂蝉", bytes: [3]), record: BatchRecord(.done, video: "b", hash: "b"),
      link: false)
    #expect(second.crops?.map(\.file) == ["貂蝉/貂蝉_000010.jpg"])
    #expect(
      FileManager.default.contents(atPath: hero.appendingPathComponent("貂蝉_000009.jpg").path)
        == Data([9]))
  }

  @Test func reopeningSkipsFramesAlreadyStored() async throws {
    let dir = try temporaryFolder()
    do {
      _ = try await store(dir).commitCrops(
        try staged(dir, hero: "A", bytes: [1]), record: BatchRecord(.done, video: "a.mp4", hash: "h"),
        link: false)
    }
    let again = try store(dir)
    #expect(await again.contains(videoSHA1: "h", ptsSeconds: 1))
    #expect(!(await again.contains(videoSHA1: "h", ptsSeconds: 2)))
    // The same content under another name: frame 1 is there, frame 2 is new.
    let done = try await again.commitCrops(
      try staged(dir, hero: "A", bytes: [1, 2]),
      record: BatchRecord(.done, video: "moved.mp4", hash: "h"), link: false)
    #expect(done.crops?.map(\.ptsSeconds) == [2])
    #expect(try CropIndex.read(root: dir.path).map(\.ptsSeconds) == [1, 2])
  }

  @Test func aHalfWrittenIndexLineIsDroppedOnOpen() async throws {
    let dir = try temporaryFolder()
    try Data((IndexRow.header + "A/A_000001.jpg,v,1.000,gameplay,A\nA/A_0000").utf8)
      .write(to: dir.appendingPathComponent("index.csv"))
    let s = try store(dir)
    _ = try await s.commitCrops(
      try staged(dir, hero: "A", bytes: [1], firstPts: 2),
      record: BatchRecord(.done, video: "v", hash: "h"), link: false)
    #expect(try CropIndex.read(root: dir.path).map(\.ptsSeconds) == [1, 2])
  }

  @Test func concurrentCommitsGetDistinctNumbers() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    let stagedVideos = try (0..<8).map { v in
      try staged(dir, hero: "李白", bytes: (0..<5).map { UInt8(v * 5 + $0) })
    }
    let files = await withTaskGroup(of: [String].self) { g in
      for (v, video) in stagedVideos.enumerated() {
        g.addTask {
          let done = try? await s.commitCrops(
            video, record: BatchRecord(.done, video: "v\(v)", hash: "h\(v)"), link: false)
          return done?.crops?.map(\.file) ?? []
        }
      }
      var out: [String] = []
      for await f in g { out += f }
      return out
    }
    #expect(files.count == 40 && Set(files).count == 40)
    #expect(try CropIndex.read(root: dir.path).count == 40)
    // Each video's crops are numbered contiguously (one commit at a time).
    let numbers = try CropIndex.read(root: dir.path).filter { $0.video == "v3" }.map(\.file)
    #expect(numbers == numbers.sorted() && numbers.count == 5)
  }

  @Test func anUnfinishedCommitIsRolledBackOnOpen() async throws {
    let dir = try temporaryFolder()
    do {
      _ = try await store(dir).commitCrops(
        try staged(dir, hero: "A", bytes: [1]), record: BatchRecord(.done, video: "a", hash: "a"),
        link: false)
    }
    // A run killed mid-commit: `begin` journaled, one file moved, its index row and key written.
    let indexURL = dir.appendingPathComponent("index.csv")
    let keysURL = dir.appendingPathComponent(".extract-keys.csv")
    let indexBytes = Int64(try Data(contentsOf: indexURL).count)
    let keysBytes = Int64(try Data(contentsOf: keysURL).count)
    var begin = BatchRecord(.begin, video: "b", hash: "b")
    begin.crops = [CropRow(file: "A/A_000002.jpg", ptsSeconds: 5, screen: "gameplay")]
    begin.indexBytes = indexBytes
    begin.keysBytes = keysBytes
    try Journal(url: dir.appendingPathComponent(".batch/journal.jsonl")).append(begin)
    try Data([2]).write(to: dir.appendingPathComponent("A/A_000002.jpg"))
    try Journal.appendWhole(Data("A/A_000002.jpg,b,5.000,gameplay,A\n".utf8), to: indexURL)
    try Journal.appendWhole(Data("b,5.000,A/A_000002.jpg\n".utf8), to: keysURL)

    let reopened = try store(dir)
    #expect(reopened.recoveryNotes.contains { $0.contains("rolled back") })
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("A/A_000002.jpg").path))
    #expect(try CropIndex.read(root: dir.path).map(\.video) == ["a"])
    #expect(!(await reopened.contains(videoSHA1: "b", ptsSeconds: 5)))
    let journal = try Journal.read(
      BatchRecord.self, from: dir.appendingPathComponent(".batch/journal.jsonl"))
    #expect(journal.records.contains { $0.kind == .abort && $0.hash == "b" })
    // The video is processed again like any other: it is not settled.
    #expect(
      await reopened.claim(hash: "b", video: "b", includeFailed: false).isFresh)
  }

  @Test func claimsSettleContentOnceAndPlainExtractSettlesNothing() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    #expect(await s.claim(hash: "x", video: "one.mp4", includeFailed: false).isFresh)
    guard case .inFlight(let other) = await s.claim(hash: "x", video: "two.mp4", includeFailed: false)
    else {
      Issue.record("the same content claimed twice")
      return
    }
    #expect(other == "one.mp4")
    var failed = BatchRecord(.failed, video: "one.mp4", hash: "x")
    failed.error = "one.mp4: broken"
    try await s.settle(failed)
    // A failure settles the content unless failures are retried.
    #expect(await s.claim(hash: "x", video: "two.mp4", includeFailed: false).isFresh)

    var plain = BatchRecord(.done, video: "p.mp4", hash: "p")
    plain.source = "extract"
    _ = try await s.commitCrops(try staged(dir, hero: "A", bytes: [1]), record: plain, link: false)
    let reopened = try store(dir)
    #expect(await reopened.claim(hash: "p", video: "p.mp4", includeFailed: false).isFresh)
    #expect(await reopened.allSettled().map(\.video) == ["one.mp4"])
  }

  @Test func theIndexReaderRefusesAForeignHeaderAndIgnoresATornLine() throws {
    let dir = try temporaryFolder()
    let index = dir.appendingPathComponent("index.csv")
    try Data("name,label\na.jpg,A\n".utf8).write(to: index)
    #expect(throws: LabelError.self) { _ = try CropIndex.read(root: dir.path) }
    try Data((IndexRow.header + "A/A_000001.jpg,v,1.500,gameplay,A\nA/A_0000").utf8).write(to: index)
    #expect(try CropIndex.read(root: dir.path).map(\.ptsSeconds) == [1.5])
    try Data((IndexRow.header + "A/A_000001.jpg,v,inf,gameplay,A\n").utf8).write(to: index)
    #expect(throws: LabelError.self) { _ = try CropIndex.read(root: dir.path) }
  }

  @Test func aJournalStartedWithOtherOptionsIsRefused() throws {
    let dir = try temporaryFolder()
    _ = try store(dir, options: ["every": "1.0"])
    #expect(throws: BatchError.self) { _ = try store(dir, options: ["every": "2.0"]) }
    _ = try store(dir, options: ["every": "1.0"])
  }
}

extension Claim {
  var isFresh: Bool {
    if case .fresh = self { return true }
    return false
  }
}

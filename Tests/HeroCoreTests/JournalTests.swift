import Foundation
import HeroCore
import Testing

private struct Entry: Codable, Equatable {
  var id: Int
  var name: String
}

private func scratchFolder() throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("journal-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

@Suite struct JournalTests {
  @Test func appendThenReadRoundTrips() throws {
    let dir = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("sub/journal.jsonl")
    let entries = (0..<5).map { Entry(id: $0, name: "李白 \($0)") }
    do {
      let j = try Journal(url: url)
      for e in entries { try j.append(e) }
    }
    let read = try Journal.read(Entry.self, from: url)
    #expect(read.records == entries)
    #expect(!read.tornTail)
    #expect(read.skippedLines == 0)
    // One record per line, each ending in a newline.
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.split(separator: "\n").count == 5)
    #expect(text.hasSuffix("\n"))
  }

  @Test func missingJournalReadsEmpty() throws {
    let dir = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let read = try Journal.read(Entry.self, from: dir.appendingPathComponent("none.jsonl"))
    #expect(read.records.isEmpty)
  }

  @Test func tornLastLineIsIgnoredAndCutBeforeAppending() throws {
    let dir = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("journal.jsonl")
    do {
      let j = try Journal(url: url)
      try j.append(Entry(id: 1, name: "a"))
      try j.append(Entry(id: 2, name: "b"))
    }
    // What kill -9 in the middle of a write leaves: part of a record, no newline.
    let handle = try FileHandle(forWritingTo: url)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"id\":3,\"na".utf8))
    try handle.close()

    let torn = try Journal.read(Entry.self, from: url)
    #expect(torn.records == [Entry(id: 1, name: "a"), Entry(id: 2, name: "b")])
    #expect(torn.tornTail)

    // Reopening cuts the fragment, so the next record is whole and readable.
    do {
      let j = try Journal(url: url)
      try j.append(Entry(id: 4, name: "d"))
    }
    let after = try Journal.read(Entry.self, from: url)
    #expect(after.records.map(\.id) == [1, 2, 4])
    #expect(!after.tornTail)
    #expect(after.skippedLines == 0)
  }

  @Test func fileThatIsOnlyATornLineBecomesEmpty() throws {
    let dir = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("journal.jsonl")
    try Data("{\"id\":1".utf8).write(to: url)
    #expect(try Journal.read(Entry.self, from: url).records.isEmpty)
    do { _ = try Journal(url: url) }
    let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
    #expect(size == 0)
  }

  @Test func garbledMiddleLineIsCountedNotFatal() throws {
    let dir = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("journal.jsonl")
    try Data("{\"id\":1,\"name\":\"a\"}\nnot json\n{\"id\":2,\"name\":\"b\"}\n".utf8).write(to: url)
    let read = try Journal.read(Entry.self, from: url)
    #expect(read.records.map(\.id) == [1, 2])
    #expect(read.skippedLines == 1)
    #expect(!read.tornTail)
  }

  @Test func unwritableLocationNamesTheFile() throws {
    let dir = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: dir) }
    // A file where the journal's folder should be.
    let blocker = dir.appendingPathComponent("blocker")
    try Data("x".utf8).write(to: blocker)
    let url = blocker.appendingPathComponent("journal.jsonl")
    #expect {
      _ = try Journal(url: url)
    } throws: { error in
      "\(error)".contains(url.path)
    }
  }
}

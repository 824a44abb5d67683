import Foundation
import HeroCore
import Testing

@Suite struct VideoTreeTests {
  @Test func findsVideosSortedWithParentFolderAsLabel() throws {
    let fm = FileManager.default
    let root = fm.temporaryDirectory.appendingPathComponent("tree-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: root) }
    let files = [
      "李白/b.mp4", "李白/a.MKV", "貂蝉/x.mov", "貂蝉/notes.txt", ".hidden/c.mp4", "李白/.d.mp4",
      "loose.mp4", "deep/er/z.webm",
    ]
    for f in files {
      let url = root.appendingPathComponent(f)
      try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data("x".utf8).write(to: url)
    }
    let found = try VideoTree.videos(under: root.path)
    #expect(
      found.map(\.relativePath) == [
        "deep/er/z.webm", "loose.mp4", "李白/a.MKV", "李白/b.mp4", "貂蝉/x.mov",
      ])
    #expect(found.map(\.label) == ["er", root.lastPathComponent, "李白", "李白", "貂蝉"])
    #expect(found.allSatisfy { fm.fileExists(atPath: $0.path) })

    // A single file is a tree of one.
    let one = try VideoTree.videos(under: root.appendingPathComponent("貂蝉/x.mov").path)
    #expect(one.map(\.label) == ["貂蝉"])
  }

  @Test func missingRootIsNamed() {
    #expect(throws: VideoTreeError.notFound(path: "/no/such/tree")) {
      try VideoTree.videos(under: "/no/such/tree")
    }
  }

  @Test(
    "named pipes and links to devices with a video's name are skipped, each named; a single one is refused"
  )
  func onlyRegularFiles() throws {
    let fm = FileManager.default
    let root = fm.temporaryDirectory.appendingPathComponent("tree-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: root) }
    try fm.createDirectory(
      at: root.appendingPathComponent("李白"), withIntermediateDirectories: true)
    try Data("x".utf8).write(to: root.appendingPathComponent("李白/real.mp4"))
    let pipe = root.appendingPathComponent("李白/pipe.mp4").path
    #expect(mkfifo(pipe, 0o600) == 0)
    try fm.createSymbolicLink(
      atPath: root.appendingPathComponent("李白/zero.mp4").path, withDestinationPath: "/dev/zero")
    // A pipe without a video's name is not a video at all: not listed.
    #expect(mkfifo(root.appendingPathComponent("李白/notes.txt").path, 0o600) == 0)
    let walked = try VideoTree.walk(under: root.path)
    #expect(walked.videos.map(\.relativePath) == ["李白/real.mp4"])
    #expect(walked.skipped.map(\.kind) == ["a named pipe", "a character device"])
    #expect(
      walked.skipped.first?.message.hasSuffix("pipe.mp4: skipped, a named pipe, not a regular file")
        == true)
    #expect(throws: VideoTreeError.notARegularFile(path: pipe, kind: "a named pipe")) {
      try VideoTree.videos(under: pipe)
    }
  }

  @Test("control characters in names are escaped in messages: one error, one line")
  func namesEscaped() {
    #expect(MessageText.escaped("a\nb\tc\u{1b}[2J.mp4") == "a\\nb\\tc\\u{1b}[2J.mp4")
    #expect(MessageText.escaped("李白/clip 1.mp4") == "李白/clip 1.mp4")
    let text = VideoTreeError.notFound(path: "/tmp/x\ny.mp4").description
    #expect(!text.contains("\n") && text.contains("x\\ny.mp4"))
  }
}

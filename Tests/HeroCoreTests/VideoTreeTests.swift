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
}

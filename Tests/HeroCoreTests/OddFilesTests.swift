import Foundation
import HeroCore
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Write failures name the path and the system's reason; reads of a path take regular files
/// only, never waiting on a pipe; one canonical hero spelling; escaped names (issue 29).
@Suite struct OddFilesTests {
  func folder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("hero-core-odd-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func aFullDiskIsNamedAndIsTheMachinesFault() throws {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    let fd = try Syscalls.open("/dev/full", O_WRONLY)
    defer { Syscalls.close(fd) }
    do {
      try Syscalls.writeAll(Data("crop".utf8), to: fd, path: "/out/李白/李白_000001.jpg")
      Issue.record("a write to /dev/full succeeded")
    } catch {
      let e = WriteError(path: "/out/李白/李白_000001.jpg", what: "staged crop", error: error)
      #expect(e.code == ENOSPC)
      #expect(
        e.description == "/out/李白/李白_000001.jpg: cannot write staged crop (No space left on device)"
      )
      #expect(e.isMachineFailure)
    }
  }

  @Test func theMachinesFailuresAreTheUsualFour() {
    for code in [ENOSPC, EDQUOT, EROFS, EACCES] {
      #expect(FileSystemError.isMachineFailure(code: code))
      #expect(WriteError(path: "/p", what: "report", code: code).isMachineFailure)
    }
    for code in [ENOTDIR, ENOENT, EINVAL, EISDIR] {
      #expect(!FileSystemError.isMachineFailure(code: code))
    }
    #expect(
      WriteError(path: "/m", what: "model file", code: EROFS).description
        == "/m: cannot write model file (Read-only file system)")
    #expect(
      WriteError(path: "/m", what: "report", code: EACCES).description
        == "/m: cannot write report (Permission denied)")
  }

  @Test func atomicWritesNameTheFileAndTheCause() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("file")
    try Data("x".utf8).write(to: file)
    // A folder on the way is a file: the folder is named, with ENOTDIR.
    let target = file.appendingPathComponent("sub/report.csv")
    do {
      try AtomicFile.write(Data("a".utf8), to: target)
      Issue.record("wrote under a file")
    } catch {
      let e = WriteError(path: target.path, what: "report", error: error)
      #expect(e.code == ENOTDIR)
      #expect(
        e.description == "\(target.path): cannot write report (\(file.path): Not a directory)")
    }
    // A Foundation error carries its errno through too (what Data.write throws).
    do {
      try Data("a".utf8).write(to: file.appendingPathComponent("x.jpg"))
      Issue.record("wrote under a file")
    } catch {
      #expect(FileSystemError.code(of: error) == ENOTDIR)
      #expect(FileSystemError.cause(of: error) == "Not a directory")
    }
  }

  @Test func hashingAPipeIsRefusedWithoutWaiting() throws {
    let dir = try folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fifo = dir.appendingPathComponent("pipe.mp4").path
    #expect(mkfifo(fifo, 0o600) == 0)
    // No writer: a blocking open would wait for good; this returns at once.
    #expect(throws: FileKindError(path: fifo, kind: .other("a named pipe"))) {
      try SHA1.hex(fileAt: fifo)
    }
    let zero = dir.appendingPathComponent("zero.mp4").path
    try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
    #expect(throws: FileKindError(path: zero, kind: .other("a character device"))) {
      try SHA1.hex(fileAt: zero)
    }
    let real = dir.appendingPathComponent("a.mp4")
    try Data("abc".utf8).write(to: real)
    let link = dir.appendingPathComponent("link.mp4").path
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real.path)
    #expect(try SHA1.hex(fileAt: link) == "a9993e364706816aba3e25717850c26c9cd0d89d")
  }

  @Test func oneSpellingPerHero() {
    // U+F9E1 is the compatibility ideograph of 李 (U+674E); NFC maps it.
    let compat = "\u{F9E1}白"
    #expect(Array(HeroSpelling.canonical(compat).utf8) == Array("李白".utf8))
    #expect(Array(HeroSpelling.canonical("Zoe\u{0308}").utf8) == Array("Zo\u{EB}".utf8))
    // U+FA0E is a unified ideograph of its own in that block: kept.
    #expect(HeroSpelling.canonical("\u{FA0E}").unicodeScalars.first?.value == 0xFA0E)
    let merged = HeroSpelling.merged(["李白", compat, "貂蝉", "李白"])
    #expect(merged.count == 1)
    #expect(merged["李白"]?.map { Array($0.utf8) } == [Array("李白".utf8), Array(compat.utf8)])
    let line = HeroSpelling.warning(hero: "李白", spellings: ["李白", compat], of: "folders")
    #expect(line.contains("\"\(compat)\" (U+F9E1 U+767D)") && !line.contains("\n"))
  }

  @Test func namesAreEscapedInMessages() {
    #expect(MessageText.escaped("a\nb\tc\u{1b}[2J\u{2028}d") == "a\\nb\\tc\\u{1b}[2J\\u{2028}d")
    #expect(MessageText.escaped("李白/clip 1.mp4") == "李白/clip 1.mp4")
    let e = FileSystemError(path: "/x/two\nlines", call: "rename", code: EROFS)
    #expect(e.description == "/x/two\\nlines: rename failed (Read-only file system)")
  }
}

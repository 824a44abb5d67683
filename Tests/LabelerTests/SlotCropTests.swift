import Foundation
import HeroCore
import Labeler
import Testing

/// Crops of other skill slots (`extract --slots 1,2,3`): names, keys and commits.
@Suite struct SlotCropTests {
  func store(_ dir: URL) throws -> BatchStore {
    try BatchStore(
      journalURL: dir.appendingPathComponent(".batch/journal.jsonl"), cropRoot: dir, options: [:])
  }

  /// One staged crop per (pts, slot), file bytes `[k]` for the k-th.
  func staged(_ dir: URL, hero: String, frames: [(Double, [String?])]) throws -> StagedVideo {
    let staging = dir.appendingPathComponent("staging-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
    var crops: [StagedCrop] = []
    for (pts, slots) in frames {
      for slot in slots {
        let url = staging.appendingPathComponent("\(crops.count)\(slot.map { "-" + $0 } ?? "").jpg")
        try Data([UInt8(crops.count)]).write(to: url)
        crops.append(StagedCrop(file: url, ptsSeconds: pts, screen: "gameplay", slot: slot))
      }
    }
    return StagedVideo(hero: hero, frames: frames.count, screens: [:], crops: crops)
  }

  @Test func namesCarryTheSlotAndOnlyWellFormedNamesAreRead() {
    #expect(CropIndex.fileName(hero: "李白", number: 11) == "李白_000011.jpg")
    #expect(CropIndex.fileName(hero: "李白", number: 11, slot: "skill1") == "李白_000011-skill1.jpg")
    #expect(CropIndex.slot(ofFile: "李白/李白_000011-skill1.jpg") == "skill1")
    #expect(CropIndex.slot(ofFile: "000011-skill3.jpg") == "skill3")
    #expect(CropIndex.slot(ofFile: "李白/李白_000011.jpg") == nil)
    // A hero name with a dash, a short counter, an upper-case or digit-less slot: no slot.
    #expect(CropIndex.slot(ofFile: "a-b/a-b_000011.jpg") == nil)
    #expect(CropIndex.slot(ofFile: "x_0011-skill1.jpg") == nil)
    #expect(CropIndex.slot(ofFile: "x_000011-Skill1.jpg") == nil)
    #expect(CropIndex.slot(ofFile: "x_000011-skill.jpg") == nil)
    #expect(CropIndex.slot(ofFile: "x_000011-skill1.png") == nil)
    #expect(CropFileName.withoutSlot("x_000011-skill1.jpg") == "x_000011.jpg")
    #expect(CropFileName.withoutSlot("x_000011.jpg") == "x_000011.jpg")
    #expect(
      CropIndex.key(videoSHA1: "h", ptsSeconds: 1, slot: "skill1") == "h|1.000|skill1")
    #expect(CropIndex.key(videoSHA1: "h", ptsSeconds: 1) == "h|1.000")
  }

  @Test func aFramesSlotsShareOneNumberAndKeysTellSlotsApart() async throws {
    let dir = try temporaryFolder()
    let s = try store(dir)
    let done = try await s.commitCrops(
      try staged(
        dir, hero: "貂蝉", frames: [(1, ["skill1", nil, "skill3"]), (2, ["skill1", nil])]),
      record: BatchRecord(.done, video: "a.mp4", hash: "h"), link: false)
    #expect(
      done.crops?.map(\.file) == [
        "貂蝉/貂蝉_000001-skill1.jpg", "貂蝉/貂蝉_000001.jpg", "貂蝉/貂蝉_000001-skill3.jpg",
        "貂蝉/貂蝉_000002-skill1.jpg", "貂蝉/貂蝉_000002.jpg",
      ])
    #expect(try CropIndex.read(root: dir.path).map(\.ptsSeconds) == [1, 1, 1, 2, 2])
    #expect(
      try CropIndex.readKeys(root: dir)
        == ["h|1.000|skill1", "h|1.000", "h|1.000|skill3", "h|2.000|skill1", "h|2.000"])
    // Reopened: frame 2 lacks skill 3 only; counters continue after the highest number,
    // whichever slot holds it.
    let again = try store(dir)
    #expect(await again.contains(videoSHA1: "h", ptsSeconds: 2, slot: "skill1"))
    #expect(await again.contains(videoSHA1: "h", ptsSeconds: 2))
    #expect(!(await again.contains(videoSHA1: "h", ptsSeconds: 2, slot: "skill3")))
    let more = try await again.commitCrops(
      try staged(dir, hero: "貂蝉", frames: [(2, ["skill1", nil, "skill3"])]),
      record: BatchRecord(.done, video: "a.mp4", hash: "h"), link: false)
    // The slot added later takes its frame's number.
    #expect(more.crops?.map(\.file) == ["貂蝉/貂蝉_000002-skill3.jpg"])
    try Data([1]).write(to: dir.appendingPathComponent("貂蝉/貂蝉_000007-skill1.jpg"))
    #expect(CropIndex.firstFreeNumber(in: dir.appendingPathComponent("貂蝉"), hero: "貂蝉") == 8)
  }
}

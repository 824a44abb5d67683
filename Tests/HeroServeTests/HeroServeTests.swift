import HeroServe
import Testing

@Suite struct HeroServeTests {
  @Test func uploadNamesAreLabelsOnly() {
    #expect(HeroServer.displayName("../../../../tmp/evil.mp4") == "evil.mp4")
    #expect(HeroServer.displayName("..\\..\\windows\\clip.mp4") == "clip.mp4")
    #expect(HeroServer.displayName("/etc/passwd") == "passwd")
    #expect(HeroServer.displayName("..") == "upload")
    #expect(HeroServer.displayName("a/b/") == "b")
    #expect(HeroServer.displayName(nil) == "upload")
    #expect(HeroServer.displayName("") == "upload")
    #expect(HeroServer.displayName("bad\u{0}name\n.mp4") == "badname.mp4")
    #expect(HeroServer.displayName("李白 对局.mp4") == "李白 对局.mp4")
    #expect(HeroServer.displayName(String(repeating: "x", count: 500)).count == 120)
  }

  @Test func errorsCarryTheirStatus() {
    #expect(ServeError.busy(limit: 3).status == 503)
    #expect(ServeError.busy(limit: 3).description.hasPrefix("busy"))
    #expect(ServeError.empty(video: "a.mp4").status == 400)
    #expect(ServeError.tooLarge(video: "a.mp4", limit: 2 << 20).status == 413)
    #expect(ServeError.tooLarge(video: "a.mp4", limit: 2 << 20).description.contains("2 MB"))
    #expect(
      ServeError.notAVideo(video: "a.mp4", reason: "a.mp4: no video stream").description
        == "a.mp4: no video stream")
    #expect(
      ServeError.notAVideo(video: "a.mp4", reason: "cannot open").description
        == "a.mp4: cannot open")
  }

  @Test func progressFraction() {
    #expect(IdentifyProgress(frames: 3, seconds: 5, duration: 10).fraction == 0.5)
    #expect(IdentifyProgress(frames: 3, seconds: 12, duration: 10).fraction == 1)
    #expect(IdentifyProgress(frames: 3, seconds: 5, duration: nil).fraction == nil)
    #expect(IdentifyProgress(frames: 3, seconds: 5, duration: 0).fraction == nil)
  }
}

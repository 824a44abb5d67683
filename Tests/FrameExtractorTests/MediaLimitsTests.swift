import Foundation
import FrameExtractor
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// libav's limits (issue 14, point 4): only local files are opened, whatever a playlist inside
/// the file names, and a picture larger than `FrameLimits.maxPixels` is refused before a buffer
/// is made.
@Suite("libav limits: protocol whitelist and pixel cap")
struct MediaLimitsTests {
  /// A TCP socket listening on 127.0.0.1 at a free port; `connections()` accepts, without
  /// blocking, whatever connected to it since.
  final class Listener {
    let fd: Int32
    let port: UInt16

    init() throws {
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard fd >= 0 else { throw POSIXError(.EMFILE) }
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      address.sin_port = 0
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard bound == 0, listen(fd, 16) == 0 else {
        close(fd)
        throw POSIXError(.EADDRINUSE)
      }
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
      }
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      self.fd = fd
      port = UInt16(bigEndian: address.sin_port)
    }

    /// Connections made so far (each accepted and closed).
    func connections() -> Int {
      var count = 0
      while true {
        let client = accept(fd, nil, nil)
        if client < 0 { return count }
        close(client)
        count += 1
      }
    }

    deinit { close(fd) }
  }

  /// An HLS playlist on disk whose segment is an http:// URL on `port`.
  static func playlist(port: UInt16, name: String) throws -> String {
    let text = """
      #EXTM3U
      #EXT-X-VERSION:3
      #EXT-X-TARGETDURATION:2
      #EXT-X-MEDIA-SEQUENCE:0
      #EXTINF:2.0,
      http://127.0.0.1:\(port)/segment.ts
      #EXT-X-ENDLIST

      """
    return try VideoFixtures.file(name, bytes: Data(text.utf8))
  }

  @Test("a URL or a playlist naming an http:// segment is refused and nothing is fetched")
  func noNetwork() throws {
    let listener = try Listener()
    let url = "http://127.0.0.1:\(listener.port)/clip.mp4"
    // The controls: libav itself (the ffprobe program) does connect to the URL, and follows the
    // playlist when http is allowed.
    let control = try Self.playlist(port: listener.port, name: "control.m3u8")
    for args in [
      [url], ["-protocol_whitelist", "file,http,tcp", control],
    ] {
      _ = try? VideoFixtures.run(
        "timeout", ["5", "ffprobe", "-v", "quiet", "-rw_timeout", "1000000"] + args)
      #expect(listener.connections() >= 1, "ffprobe \(args) did not connect: no control")
    }

    let playlists = try ["playlist.m3u8", "playlist.mp4"].map {
      try Self.playlist(port: listener.port, name: $0)
    }
    for path in [url] + playlists {
      var error: ExtractError?
      do {
        _ = try VideoFixtures.decodeAll(path)
      } catch let e as ExtractError {
        error = e
      }
      let refused = try #require(error, "\(path) decoded")
      #expect(refused.path == path)
      #expect(refused.description.hasPrefix(path + ": "))
      #expect(listener.connections() == 0, "\(path): hero-id connected to the network")
    }
  }

  @Test("a local segment in a playlist still decodes (the whitelist keeps file://)")
  func localPlaylistDecodes() throws {
    let segment = try VideoFixtures.transportStreamClip()
    let text = """
      #EXTM3U
      #EXT-X-VERSION:3
      #EXT-X-TARGETDURATION:3
      #EXT-X-MEDIA-SEQUENCE:0
      #EXTINF:3.0,
      \(URL(fileURLWithPath: segment).lastPathComponent)
      #EXT-X-ENDLIST

      """
    let path = try VideoFixtures.file("local.m3u8", bytes: Data(text.utf8))
    let (frames, _) = try VideoFixtures.decodeAll(path)
    let direct = try VideoFixtures.decodeAll(segment).frames
    #expect(frames.count == direct.count && !frames.isEmpty)
  }

  @Test("a picture over the pixel cap is refused before decoding, naming its size")
  func pixelCap() throws {
    // 16384x4112 = 67,371,008 pixels, just over 8192x8192 (one MJPEG frame of one colour).
    let (w, h) = (16384, 4112)
    #expect(w * h > FrameLimits.maxPixels)
    let path = try VideoFixtures.fixture("huge.mkv") { path in
      try VideoFixtures.run(
        "ffmpeg",
        [
          "-f", "lavfi", "-i", "color=c=gray:s=\(w)x\(h):r=1", "-frames:v", "1", "-c:v", "mjpeg",
          "-strict", "-1", path,
        ])
    }
    #expect(throws: ExtractError.frameTooLarge(path: path, width: w, height: h)) {
      _ = try VideoFixtures.decodeAll(path)
    }
    // Just under the cap is decoded (the cap is not a lower limit in disguise).
    let (sw, sh) = (8192, 8192)
    let small = try VideoFixtures.fixture("at-cap.mkv") { path in
      try VideoFixtures.run(
        "ffmpeg",
        [
          "-f", "lavfi", "-i", "color=c=gray:s=\(sw)x\(sh):r=1", "-frames:v", "1", "-c:v",
          "mjpeg", "-strict", "-1", path,
        ])
    }
    let frames = try VideoFixtures.decodeAll(
      small, options: .init(width: 64, height: 64)
    ).frames
    #expect(frames.count == 1)
  }
}

import HeroCore

/// Why a video cannot be (fully) decoded. Every description starts with "<path>: ".
public enum ExtractError: Error, CustomStringConvertible, Equatable {
  case noSuchFile(path: String)
  /// A folder, a named pipe, a device or a socket (links followed): `kind` in words.
  case notARegularFile(path: String, kind: String)
  case emptyFile(path: String)
  /// libavformat cannot open or probe the file (not a video, or truncated: e.g. an MP4 without
  /// its moov atom).
  case cannotOpen(path: String, libav: String)
  /// The file has no video stream (audio only, or only a cover picture).
  case noVideoStream(path: String)
  case unsupportedCodec(path: String, codec: String)
  case decoderSetupFailed(path: String, libav: String)
  case decodeFailed(path: String, ptsSeconds: Double, libav: String)
  /// The file opened, but not one frame could be decoded from it.
  case noFrames(path: String, detail: String)
  case outOfMemory(path: String)
  /// The video's picture is larger than `FrameLimits.maxPixels`.
  case frameTooLarge(path: String, width: Int, height: Int)
  /// Options that cannot be used (e.g. `--every 1e-300`).
  case badOptions(path: String, reason: String)

  /// The video the error is about.
  public var path: String {
    switch self {
    case .noSuchFile(let p), .notARegularFile(let p, _), .emptyFile(let p), .cannotOpen(let p, _),
      .noVideoStream(let p), .unsupportedCodec(let p, _), .decoderSetupFailed(let p, _),
      .decodeFailed(let p, _, _), .noFrames(let p, _), .outOfMemory(let p),
      .frameTooLarge(let p, _, _), .badOptions(let p, _):
      p
    }
  }

  /// The message, the path's control characters escaped (one error, one line).
  public var description: String {
    let p = MessageText.escaped(path)
    return switch self {
    case .noSuchFile: "\(p): no such file"
    case .notARegularFile(_, let kind): "\(p): \(kind), not a regular file; refusing to read it"
    case .emptyFile: "\(p): empty file (0 bytes)"
    case .cannotOpen(_, let why): "\(p): cannot open video (\(why))"
    case .noVideoStream: "\(p): no video stream (audio only or not a video)"
    case .unsupportedCodec(_, let c): "\(p): no decoder for video codec \(c)"
    case .decoderSetupFailed(_, let why): "\(p): cannot set up the decoder (\(why))"
    case .decodeFailed(_, let t, let why):
      "\(p): decode failed at \((t * 1000).rounded() / 1000)s (\(why))"
    case .noFrames(_, let detail):
      "\(p): no frame could be decoded" + (detail.isEmpty ? "" : " (\(detail))")
    case .outOfMemory: "\(p): out of memory"
    case .badOptions(_, let why): "\(p): \(why)"
    case .frameTooLarge(_, let w, let h):
      "\(p): video picture \(w)x\(h) is larger than \(FrameLimits.maxPixels) pixels"
    }
  }
}

/// Limits on what a video may make the decoder allocate.
public enum FrameLimits {
  /// The most pixels a decoded picture may have: 8192x8192 (an 8K video has 7680x4320).
  public static let maxPixels = 8192 * 8192
}

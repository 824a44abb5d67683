import CTurboJPEG
import Foundation
import HeroCore

/// JPEG encoding and decoding through libjpeg-turbo's TurboJPEG API. The only file that
/// imports turbojpeg.
///
/// Decoding uses libjpeg-turbo's accurate defaults (integer "islow" IDCT, fancy upsampling:
/// neither `TJFLAG_FASTDCT` nor `TJFLAG_FASTUPSAMPLE`), which is bit-identical to the decoder the
/// reference bottlenecks were computed with (CONTRACT.md).
///
/// Hostile files: the picture size from `tjDecompressHeader3` is checked against
/// ``maxPixels`` before any buffer is allocated, and `TJFLAG_LIMITSCANS` makes libjpeg-turbo
/// refuse a progressive JPEG with an unreasonable number of scans (more than 500 in
/// libjpeg-turbo 2.1.5), which could otherwise take minutes of CPU for a few kilobytes.
public enum JPEG {
  /// The most pixels a decoded JPEG may have: 4096x4096 (crops are 104x104, frames 1280x720).
  public static let maxPixels = 4096 * 4096
  /// Encodes `image` as a baseline JPEG (4:2:0 chroma subsampling) at `quality` (1...100)
  /// with `tjCompress2`; `progressive` writes a progressive JPEG instead (tests).
  public static func encode(_ image: RGBImage, quality: Int = 95, progressive: Bool = false)
    throws -> Data
  {
    guard let handle = tjInitCompress() else { throw JPEGError.noHandle }
    defer { tjDestroy(handle) }
    var buffer: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let rc = image.pixels.withUnsafeBufferPointer { px in
      tjCompress2(
        handle, px.baseAddress, Int32(image.width), 0, Int32(image.height),
        Int32(TJPF_RGB.rawValue),
        &buffer, &size, Int32(TJSAMP_420.rawValue), Int32(max(1, min(100, quality))),
        progressive ? TJFLAG_PROGRESSIVE : 0)
    }
    defer { if let buffer { tjFree(buffer) } }
    guard rc == 0, let buffer else {
      throw JPEGError.encodeFailed(reason: errorString(handle))
    }
    return Data(bytes: buffer, count: Int(size))
  }

  /// Decodes JPEG bytes to RGB with `tjDecompress2` (accurate defaults). `source` names the
  /// file in errors.
  public static func decode(_ data: Data, source: String = "image") throws -> RGBImage {
    guard !data.isEmpty else { throw JPEGError.decodeFailed(path: source, reason: "empty file") }
    guard let handle = tjInitDecompress() else { throw JPEGError.noHandle }
    defer { tjDestroy(handle) }
    return try data.withUnsafeBytes { raw -> RGBImage in
      let bytes = raw.bindMemory(to: UInt8.self)
      var w: Int32 = 0
      var h: Int32 = 0
      var subsamp: Int32 = 0
      var colorspace: Int32 = 0
      guard
        tjDecompressHeader3(
          handle, bytes.baseAddress, UInt(bytes.count), &w, &h, &subsamp, &colorspace) == 0
      else {
        throw JPEGError.decodeFailed(path: source, reason: "not a JPEG (\(errorString(handle)))")
      }
      guard w > 0, h > 0, Int(w) * Int(h) <= maxPixels else {
        throw JPEGError.decodeFailed(
          path: source, reason: "picture \(w)x\(h) is larger than \(maxPixels) pixels")
      }
      var pixels = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
      let rc = pixels.withUnsafeMutableBufferPointer { out in
        tjDecompress2(
          handle, bytes.baseAddress, UInt(bytes.count), out.baseAddress, w, 0, h,
          Int32(TJPF_RGB.rawValue), TJFLAG_LIMITSCANS)
      }
      if rc != 0 {
        // A warning (e.g. premature end of data) still yields an image; an error does not.
        let severe = tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue)
        if severe {
          throw JPEGError.decodeFailed(path: source, reason: errorString(handle))
        }
      }
      return RGBImage(width: Int(w), height: Int(h), pixels: pixels)
    }
  }

  /// Reads and decodes a JPEG file.
  /// Regular files only: a named pipe or a device named `*.jpg` is refused unread.
  public static func decode(fileAt path: String) throws -> RGBImage {
    if case .other(let kind) = FileKind.of(path) {
      throw JPEGError.decodeFailed(path: path, reason: "\(kind), not a regular file")
    }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
      throw JPEGError.decodeFailed(
        path: path,
        reason: FileManager.default.fileExists(atPath: path) ? "cannot read file" : "no such file")
    }
    return try decode(data, source: path)
  }

  private static func errorString(_ handle: tjhandle) -> String {
    guard let c = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
    return String(cString: c)
  }
}

public enum JPEGError: Error, CustomStringConvertible {
  case noHandle
  case encodeFailed(reason: String)
  case decodeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .noHandle: "TurboJPEG: cannot allocate a handle"
    case .encodeFailed(let r): "JPEG encode failed (\(r))"
    case .decodeFailed(let p, let r): "\(MessageText.escaped(p)): cannot decode JPEG (\(r))"
    }
  }
}

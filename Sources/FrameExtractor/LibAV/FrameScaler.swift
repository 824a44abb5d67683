import CLibAV
import HeroCore

/// Rescales decoded frames to packed RGB24 of a fixed size with libswscale (`sws_scale`).
///
/// One `SwsContext` is reused from frame to frame; `sws_getCachedContext` makes a new one only
/// when the source size or pixel format changes mid-stream, and the colour matrix and range are
/// set again (`sws_setColorspaceDetails`) whenever the context or the frame's colour tags change.
/// The filter is bicubic, as `ffmpeg -s` uses.
final class FrameScaler {
  private var context: OpaquePointer?
  private var configured: Configuration?

  private struct Configuration: Equatable {
    var srcWidth: Int32
    var srcHeight: Int32
    var srcFormat: Int32
    var colorspace: UInt32
    var fullRange: Bool
    var dstWidth: Int
    var dstHeight: Int
  }

  deinit { sws_freeContext(context) }

  /// Scales `frame` to `width`×`height` RGB24; nil when swscale cannot convert this frame (the
  /// second value says why).
  func scale(_ frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int) -> (RGBImage?, String)
  {
    let f = frame.pointee
    guard f.width > 0, f.height > 0, f.format >= 0 else {
      return (nil, "frame has no picture (\(f.width)x\(f.height), format \(f.format))")
    }
    let format = AVPixelFormat(rawValue: f.format)
    let fullRange =
      f.color_range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P
      || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P
    let wanted = Configuration(
      srcWidth: f.width, srcHeight: f.height, srcFormat: f.format,
      colorspace: f.colorspace.rawValue, fullRange: fullRange, dstWidth: width, dstHeight: height)
    if wanted != configured {
      context = sws_getCachedContext(
        context, f.width, f.height, format, Int32(width), Int32(height), AV_PIX_FMT_RGB24,
        SWS_BICUBIC, nil, nil, nil)
      guard let context else {
        configured = nil
        let name = av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "\(f.format)"
        return (nil, "cannot convert \(f.width)x\(f.height) \(name) to RGB")
      }
      if let descriptor = av_pix_fmt_desc_get(format),
        descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0
      {
        // YUV source: the frame's matrix (BT.601 when untagged, as ffmpeg) and range; RGB out full.
        _ = sws_setColorspaceDetails(
          context, sws_getCoefficients(Int32(f.colorspace.rawValue)), fullRange ? 1 : 0,
          sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16)
      }
      configured = wanted
    }
    guard let context else { return (nil, "no scaler") }
    let count = width * height * 3
    var rows: Int32 = 0
    let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      var dst: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
      var dstStride: [Int32] = [Int32(width * 3), 0, 0, 0]
      var data = frame.pointee.data
      var linesize = frame.pointee.linesize
      rows = withUnsafePointer(to: &data) { dataTuple in
        withUnsafePointer(to: &linesize) { linesizeTuple in
          dataTuple.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
            linesizeTuple.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
              sws_scale(context, src, srcStride, 0, f.height, &dst, &dstStride)
            }
          }
        }
      }
      if rows != Int32(height) {
        // Leave no uninitialised bytes behind, even on failure.
        buffer.initialize(repeating: 0)
      }
      initialized = count
    }
    guard rows == Int32(height) else {
      return (nil, "swscale produced \(rows) of \(height) rows")
    }
    return (RGBImage(width: width, height: height, pixels: pixels), "")
  }
}

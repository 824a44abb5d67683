import CLibAV
import HeroCore

/// Rescales decoded frames to packed RGB24 of a fixed size with libswscale (`sws_scale`).
///
/// The filter is bicubic, as `ffmpeg -s` uses. For the usual YUV sources the work is done in two
/// steps: a bicubic rescale to YUV 4:2:0 at the output size, then libswscale's unscaled
/// YUV→RGB24 converter. One step (rescale straight to RGB24) is correct too but about four
/// times slower on Debian 12's libswscale, whose scaled RGB24 output has no SIMD path
/// (measured: 10 ms against 2.5 ms per 1920x1080 → 1280x720 frame). Sources that are not YUV
/// (RGB, grey, palette) and output widths that are not a multiple of 16 take the one-step path.
///
/// The `SwsContext`s are reused from frame to frame; `sws_getCachedContext` makes new ones only
/// when the source size or pixel format changes mid-stream, and the colour matrix and range are
/// set again (`sws_setColorspaceDetails`) whenever the contexts or the frame's colour tags change:
/// the frame's matrix (BT.601 when untagged, as ffmpeg), its range, full-range RGB out.
final class FrameScaler {
  /// Source → output size, YUV 4:2:0 (two-step path) or RGB24 (one-step path).
  private var resize: OpaquePointer?
  /// Output-size YUV 4:2:0 → RGB24 (two-step path only).
  private var toRGB: OpaquePointer?
  /// The YUV 4:2:0 frame between the two steps.
  private var intermediate: UnsafeMutablePointer<AVFrame>?
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

  deinit {
    sws_freeContext(resize)
    sws_freeContext(toRGB)
    av_frame_free(&intermediate)
  }

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
      configured = nil
      if let problem = configure(wanted, format: format) { return (nil, problem) }
      configured = wanted
    }
    guard let resize else { return (nil, "no scaler") }

    var source = frame.pointee
    let rgbInput: UnsafeMutablePointer<AVFrame>?
    if let intermediate {
      let rows = convert(resize, from: &source, height: f.height, into: intermediate)
      guard rows == Int32(height) else {
        return (nil, "swscale produced \(rows) of \(height) rows")
      }
      rgbInput = intermediate
    } else {
      rgbInput = nil
    }

    let count = width * height * 3
    var rows: Int32 = 0
    // 64 bytes of slack: SIMD converters may store a few bytes past the last pixel.
    let pixels = [UInt8](unsafeUninitializedCapacity: count + 64) { buffer, initialized in
      var dst: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
      var dstStride: [Int32] = [Int32(width * 3), 0, 0, 0]
      if let rgbInput, let toRGB {
        var small = rgbInput.pointee
        rows = withSourcePlanes(&small) { src, srcStride in
          sws_scale(toRGB, src, srcStride, 0, Int32(height), &dst, &dstStride)
        }
      } else {
        rows = withSourcePlanes(&source) { src, srcStride in
          sws_scale(resize, src, srcStride, 0, f.height, &dst, &dstStride)
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

  /// Makes (or reuses) the contexts for `c`; returns why not when swscale refuses.
  private func configure(_ c: Configuration, format: AVPixelFormat) -> String? {
    let name = av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "\(c.srcFormat)"
    let refused = "cannot convert \(c.srcWidth)x\(c.srcHeight) \(name) to RGB"
    guard let descriptor = av_pix_fmt_desc_get(format) else { return refused }
    let isYUV =
      descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0
      && descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_PAL) == 0
      && descriptor.pointee.nb_components >= 3
    let matrix = sws_getCoefficients(Int32(c.colorspace))
    let range: Int32 = c.fullRange ? 1 : 0
    let (w, h) = (Int32(c.dstWidth), Int32(c.dstHeight))

    if isYUV && c.dstWidth % 16 == 0 {
      let middle = c.fullRange ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P
      resize = sws_getCachedContext(
        resize, c.srcWidth, c.srcHeight, format, w, h, middle, SWS_BICUBIC, nil, nil, nil)
      toRGB = sws_getCachedContext(
        toRGB, w, h, middle, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC, nil, nil, nil)
      guard let resize, let toRGB else { return refused }
      // Step 1 keeps matrix and range (YUV in, YUV out); step 2 applies them.
      _ = sws_setColorspaceDetails(resize, matrix, range, matrix, range, 0, 1 << 16, 1 << 16)
      _ = sws_setColorspaceDetails(
        toRGB, matrix, range, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16)
      if let current = intermediate,
        current.pointee.width != w || current.pointee.height != h
          || current.pointee.format != middle.rawValue
      {
        av_frame_free(&intermediate)
      }
      if intermediate == nil {
        guard let fresh = av_frame_alloc() else { return "out of memory" }
        fresh.pointee.width = w
        fresh.pointee.height = h
        fresh.pointee.format = middle.rawValue
        intermediate = fresh
        guard av_frame_get_buffer(fresh, 0) >= 0 else {
          av_frame_free(&intermediate)
          return "out of memory"
        }
      }
    } else {
      sws_freeContext(toRGB)
      toRGB = nil
      av_frame_free(&intermediate)
      resize = sws_getCachedContext(
        resize, c.srcWidth, c.srcHeight, format, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC, nil, nil,
        nil)
      guard let resize else { return refused }
      if isYUV {
        _ = sws_setColorspaceDetails(
          resize, matrix, range, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16)
      }
    }
    return nil
  }

  /// `sws_scale` of the whole of `source` into the planes of `target`.
  private func convert(
    _ context: OpaquePointer, from source: inout AVFrame, height: Int32,
    into target: UnsafeMutablePointer<AVFrame>
  ) -> Int32 {
    var dstData = target.pointee.data
    var dstLinesize = target.pointee.linesize
    return withSourcePlanes(&source) { src, srcStride in
      withUnsafeMutablePointer(to: &dstData) { dataTuple in
        withUnsafeMutablePointer(to: &dstLinesize) { linesizeTuple in
          dataTuple.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
            linesizeTuple.withMemoryRebound(to: Int32.self, capacity: 8) { dstStride in
              sws_scale(context, src, srcStride, 0, height, dst, dstStride)
            }
          }
        }
      }
    }
  }

  /// Calls `body` with the frame's plane pointers and strides as arrays, as `sws_scale` takes them.
  private func withSourcePlanes<R>(
    _ frame: inout AVFrame,
    _ body: (UnsafePointer<UnsafePointer<UInt8>?>, UnsafePointer<Int32>) -> R
  ) -> R {
    withUnsafePointer(to: &frame.data) { dataTuple in
      withUnsafePointer(to: &frame.linesize) { linesizeTuple in
        dataTuple.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
          linesizeTuple.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
            body(src, srcStride)
          }
        }
      }
    }
  }
}

/// Rescales decoded frames to a small grey (luma) picture with libswscale, for the active-picture
/// probes: YUV sources give their luma plane, rescaled with a fast bilinear filter and mapped to
/// full range (0...255, as the BT.601 luma of the RGB frame); other sources are converted.
/// About a tenth of the work of an RGB24 frame of the same size, and its own context, so the
/// frame scaler's stays configured for the output size.
final class GreyScaler {
  private var context: OpaquePointer?
  private var configured: [Int32] = []

  deinit { sws_freeContext(context) }

  /// `frame` as a `width`×`height` grey picture; nil when swscale cannot convert it.
  func grey(_ frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int) -> GreyProbe? {
    let f = frame.pointee
    guard f.width > 0, f.height > 0, f.format >= 0, width > 0, height > 0 else { return nil }
    let format = AVPixelFormat(rawValue: f.format)
    let fullRange =
      f.color_range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P
      || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P
    let wanted = [
      f.width, f.height, f.format, Int32(f.colorspace.rawValue), fullRange ? 1 : 0, Int32(width),
      Int32(height),
    ]
    if wanted != configured {
      configured = []
      context = sws_getCachedContext(
        context, f.width, f.height, format, Int32(width), Int32(height), AV_PIX_FMT_GRAY8,
        SWS_FAST_BILINEAR, nil, nil, nil)
      guard let context else { return nil }
      let matrix = sws_getCoefficients(Int32(f.colorspace.rawValue))
      _ = sws_setColorspaceDetails(
        context, matrix, fullRange ? 1 : 0, matrix, 1, 0, 1 << 16, 1 << 16)
      configured = wanted
    }
    guard let context else { return nil }
    var rows: Int32 = 0
    let count = width * height
    let pixels = [UInt8](unsafeUninitializedCapacity: count + 64) { buffer, initialized in
      var dst: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
      var dstStride: [Int32] = [Int32(width), 0, 0, 0]
      var source = frame.pointee
      rows = withUnsafePointer(to: &source.data) { dataTuple in
        withUnsafePointer(to: &source.linesize) { linesizeTuple in
          dataTuple.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
            linesizeTuple.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
              sws_scale(context, src, srcStride, 0, f.height, &dst, &dstStride)
            }
          }
        }
      }
      if rows != Int32(height) { buffer.initialize(repeating: 0) }
      initialized = count
    }
    guard rows == Int32(height) else { return nil }
    return GreyProbe(width: width, height: height, pixels: pixels)
  }
}

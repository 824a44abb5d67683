import CLibAV
import Foundation

/// An H.264 (libx264) MP4 writer: frames come in as 32-bit B, G, R, unused pixels (Cairo's RGB24
/// layout), are converted to YUV 4:2:0 by swscale and encoded at the given bitrate and keyint.
/// Owns libav pointers; lives inside one task.
final class VideoEncoder {
  private let path: String
  private let width: Int
  private let height: Int
  private var format: UnsafeMutablePointer<AVFormatContext>?
  private var codec: UnsafeMutablePointer<AVCodecContext>?
  private var stream: UnsafeMutablePointer<AVStream>?
  private var frame: UnsafeMutablePointer<AVFrame>?
  private var packet: UnsafeMutablePointer<AVPacket>?
  private var sws: OpaquePointer?
  private var headerWritten = false
  private var finished = false

  /// Opens `path` for writing (libav guesses nothing: the container is MP4). With
  /// `displayMatrixDegrees`, the stream carries a display matrix of that rotation (players turn
  /// the picture clockwise by minus the angle).
  init(
    path: String, width: Int, height: Int, fps: Int, keyint: Int, bitrateKbps: Int,
    displayMatrixDegrees: Double? = nil
  ) throws {
    self.path = path
    self.width = width
    self.height = height
    func check(_ r: Int32, _ what: String) throws {
      if r < 0 { throw ClipError.encodeFailed(path: path, reason: "\(what): \(Self.errorText(r))") }
    }
    av_log_set_level(AV_LOG_ERROR)  // x264 prints its statistics at info level
    try check(
      avformat_alloc_output_context2(&format, nil, "mp4", path), "avformat_alloc_output_context2")
    guard let format else { throw ClipError.encodeFailed(path: path, reason: "no output context") }
    guard let encoder = avcodec_find_encoder_by_name("libx264") else {
      throw ClipError.encodeFailed(path: path, reason: "libavcodec has no libx264 encoder")
    }
    guard let st = avformat_new_stream(format, nil), let ctx = avcodec_alloc_context3(encoder)
    else {
      throw ClipError.encodeFailed(path: path, reason: "out of memory")
    }
    stream = st
    codec = ctx
    ctx.pointee.width = Int32(width)
    ctx.pointee.height = Int32(height)
    ctx.pointee.time_base = AVRational(num: 1, den: Int32(fps))
    ctx.pointee.framerate = AVRational(num: Int32(fps), den: 1)
    ctx.pointee.pix_fmt = AV_PIX_FMT_YUV420P
    ctx.pointee.gop_size = Int32(keyint)
    ctx.pointee.keyint_min = Int32(min(keyint, max(fps / 2, 1)))
    ctx.pointee.max_b_frames = 2
    ctx.pointee.bit_rate = Int64(bitrateKbps) * 1000
    ctx.pointee.thread_count = 1
    if (format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
      ctx.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
    }
    try check(av_opt_set(ctx.pointee.priv_data, "preset", "veryfast", 0), "preset")
    try check(avcodec_open2(ctx, encoder, nil), "avcodec_open2")
    try check(avcodec_parameters_from_context(st.pointee.codecpar, ctx), "codec parameters")
    st.pointee.time_base = ctx.pointee.time_base
    st.pointee.avg_frame_rate = ctx.pointee.framerate
    if let degrees = displayMatrixDegrees {
      guard
        let side = av_stream_new_side_data(
          st, AV_PKT_DATA_DISPLAYMATRIX, 9 * MemoryLayout<Int32>.size)
      else { throw ClipError.encodeFailed(path: path, reason: "no display matrix") }
      side.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_set($0, degrees) }
    }
    try check(avio_open(&format.pointee.pb, path, AVIO_FLAG_WRITE), "avio_open")
    try check(avformat_write_header(format, nil), "avformat_write_header")
    headerWritten = true
    guard let f = av_frame_alloc(), let p = av_packet_alloc() else {
      throw ClipError.encodeFailed(path: path, reason: "out of memory")
    }
    frame = f
    packet = p
    f.pointee.format = AV_PIX_FMT_YUV420P.rawValue
    f.pointee.width = Int32(width)
    f.pointee.height = Int32(height)
    try check(av_frame_get_buffer(f, 0), "av_frame_get_buffer")
    sws = sws_getContext(
      Int32(width), Int32(height), AV_PIX_FMT_BGR0, Int32(width), Int32(height), AV_PIX_FMT_YUV420P,
      Int32(SWS_BILINEAR), nil, nil, nil)
    if sws == nil { throw ClipError.encodeFailed(path: path, reason: "sws_getContext failed") }
  }

  deinit {
    if headerWritten, !finished, let format { av_write_trailer(format) }
    if let format, format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
    sws_freeContext(sws)
    av_frame_free(&frame)
    av_packet_free(&packet)
    avcodec_free_context(&codec)
    avformat_free_context(format)
  }

  /// Encodes one frame with presentation index `index` (in frames).
  func encode(bgrx: UnsafePointer<UInt8>, stride: Int, index: Int) throws {
    guard let frame else { return }
    let r = av_frame_make_writable(frame)
    if r < 0 {
      throw ClipError.encodeFailed(
        path: path, reason: "av_frame_make_writable: \(Self.errorText(r))")
    }
    var src: UnsafePointer<UInt8>? = bgrx
    var srcStride = Int32(stride)
    withUnsafeMutablePointer(to: &frame.pointee.data) { data in
      withUnsafeMutablePointer(to: &frame.pointee.linesize) { lines in
        data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
          lines.withMemoryRebound(to: Int32.self, capacity: 8) { dstStride in
            _ = sws_scale(sws, &src, &srcStride, 0, Int32(height), dst, dstStride)
          }
        }
      }
    }
    frame.pointee.pts = Int64(index)
    try send(frame)
  }

  /// Flushes the encoder and writes the MP4 trailer.
  func finish() throws {
    guard !finished else { return }
    try send(nil)
    finished = true
    if let format {
      let r = av_write_trailer(format)
      if r < 0 {
        throw ClipError.encodeFailed(path: path, reason: "av_write_trailer: \(Self.errorText(r))")
      }
      avio_closep(&format.pointee.pb)
    }
  }

  private func send(_ f: UnsafeMutablePointer<AVFrame>?) throws {
    guard let codec, let packet, let format, let stream else { return }
    var r = avcodec_send_frame(codec, f)
    if r < 0 {
      throw ClipError.encodeFailed(path: path, reason: "avcodec_send_frame: \(Self.errorText(r))")
    }
    while true {
      r = avcodec_receive_packet(codec, packet)
      if r == heroid_averror(EAGAIN) || r == heroid_averror_eof { return }
      if r < 0 {
        throw ClipError.encodeFailed(
          path: path, reason: "avcodec_receive_packet: \(Self.errorText(r))")
      }
      av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
      packet.pointee.stream_index = stream.pointee.index
      r = av_interleaved_write_frame(format, packet)
      if r < 0 {
        throw ClipError.encodeFailed(
          path: path, reason: "av_interleaved_write_frame: \(Self.errorText(r))")
      }
    }
  }

  /// av_strerror as a Swift string.
  private static func errorText(_ code: Int32) -> String {
    var buf = [CChar](repeating: 0, count: 256)
    _ = av_strerror(code, &buf, buf.count)
    return buf.withUnsafeBufferPointer { b in
      String(decoding: b.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
  }
}

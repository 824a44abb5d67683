import CLibAV
import Foundation
import HeroCore

/// The demuxer and decoder of one video stream: `avformat_open_input`, `avformat_find_stream_info`,
/// `av_find_best_stream`, then `av_read_frame` / `avcodec_send_packet` / `avcodec_receive_frame`.
///
/// With `keyFramesOnly`, the codec context's `skip_frame` is `AVDISCARD_NONKEY`: the decoder
/// decodes only key frames, so the cost follows the number of key frames, not the length of the
/// video (the same mechanism as `ffprobe -skip_frame nokey`). Once the first frame is out,
/// packets the demuxer did not flag as key frames are not even sent to the decoder: the decoder
/// would discard them, and without them libavcodec's frame threads receive consecutive key
/// frames and decode them in parallel (with every packet sent, a key frame every 120 packets
/// meets an idle thread pool, one frame at a time).
///
/// Damage does not stop decoding: a packet the decoder rejects is counted and skipped, a frame
/// that comes out concealed or flagged corrupt is counted, a read error ends the stream as in the
/// ffmpeg program. `damageReport()` sums these up. Not Sendable: one instance per video, used by
/// one task. Everything is freed in `deinit`.
final class VideoStreamDecoder {
  // Every stored property has a value before the first `throw` in `init`, so that a failing
  // `init` still runs `deinit` and frees what it had opened.
  let path: String
  private(set) var streamIndex: Int32 = -1
  /// The container's duration (or the stream's), when known.
  private(set) var durationSeconds: Double?
  /// The stream's first timestamp (or the file's), when known.
  private(set) var startSeconds: Double?
  /// The codec's name, e.g. "h264".
  private(set) var codecName = "unknown"
  private var timeBase = 0.0
  private var frameStep = 1.0 / 25
  private var expectedPackets: Int?

  private var format: UnsafeMutablePointer<AVFormatContext>?
  private var codec: UnsafeMutablePointer<AVCodecContext>?
  private var packet: UnsafeMutablePointer<AVPacket>?
  private var frame: UnsafeMutablePointer<AVFrame>?
  private let scaler = FrameScaler()
  private let greyScaler = GreyScaler()
  /// Errors libav logs about this video while reading and decoding (see `LibAVLog`).
  private let log = LibAVLog.Sink()

  private let keyFramesOnly: Bool
  /// Whether the demuxer has flagged any packet as a key frame. Until it has, and until the
  /// first frame is out (so parameter sets have reached the decoder), every packet is sent.
  private var sawKeyPacket = false
  private var draining = false
  private var finished = false
  private var lastPtsSeconds: Double?
  private var lastPacketSeconds: Double?

  /// Key frames only: a key packet less than this many seconds after the last one sent is not
  /// decoded (the per-video work bound, ``ExtractOptions/maxFrames``); nil sends every one.
  var minKeyGapSeconds: Double?
  private var lastSentKeySeconds: Double?
  /// Key packets left undecoded by `minKeyGapSeconds`.
  private(set) var keyPacketsSkipped = 0

  private(set) var packetsRead = 0
  private(set) var framesDecoded = 0
  private var damagedPackets = 0
  private var corruptPackets = 0
  private var firstCorrupt: Double?
  private var firstDamage = ""
  private var decodeErrors = 0
  private var firstDecodeError = ""
  private var concealedFrames = 0
  private var firstConcealed = 0.0
  private var missingTimestamps = 0
  private var readError: String?

  /// The turn the container asks players to apply (its display matrix), `none` without one.
  let turns: QuarterTurns

  init(path: String, keyFramesOnly: Bool, threads: Int) throws {
    self.path = path
    self.keyFramesOnly = keyFramesOnly
    LibAVLog.install()
    _ = Self.memorySetup
    var fmt: UnsafeMutablePointer<AVFormatContext>? = nil
    // Only local files: a playlist or concat script inside the file cannot make libavformat
    // open a network URL or another protocol (`protocol_whitelist`).
    var options: OpaquePointer? = nil
    av_dict_set(&options, "protocol_whitelist", "file", 0)
    let (openCode, openLog) = LibAVLog.capture { avformat_open_input(&fmt, path, nil, &options) }
    av_dict_free(&options)
    guard openCode >= 0, let fmt else {
      throw ExtractError.cannotOpen(path: path, libav: Self.explain(openCode, openLog))
    }
    format = fmt
    LibAVLog.attach(log, toFormat: fmt)
    let (infoCode, infoLog) = LibAVLog.capture { avformat_find_stream_info(fmt, nil) }
    guard infoCode >= 0 else {
      throw ExtractError.cannotOpen(path: path, libav: Self.explain(infoCode, infoLog))
    }

    let best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
    guard best >= 0, best < Int32(fmt.pointee.nb_streams),
      let stream = fmt.pointee.streams[Int(best)]
    else { throw ExtractError.noVideoStream(path: path) }
    if stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 {
      throw ExtractError.noVideoStream(path: path)  // only a cover picture
    }
    streamIndex = best
    // The container's rotation (a display matrix of 9 int32s), as players apply it.
    var sideSize = 0
    if let sd = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &sideSize),
      sideSize >= 9 * MemoryLayout<Int32>.size
    {
      let degrees = sd.withMemoryRebound(to: Int32.self, capacity: 9) {
        av_display_rotation_get($0)
      }
      turns = QuarterTurns(displayMatrixDegrees: degrees)
    } else {
      turns = .none
    }
    // The demuxer need not hand us the other streams' packets (audio, subtitles, data).
    for i in 0..<Int(fmt.pointee.nb_streams) where i != Int(best) {
      fmt.pointee.streams[i]?.pointee.discard = AVDISCARD_ALL
    }
    let parameters = stream.pointee.codecpar
    let codecID = parameters?.pointee.codec_id ?? AV_CODEC_ID_NONE
    codecName = avcodec_get_name(codecID).map { String(cString: $0) } ?? "unknown"
    guard let parameters, let decoder = avcodec_find_decoder(codecID) else {
      throw ExtractError.unsupportedCodec(path: path, codec: codecName)
    }

    let tb = stream.pointee.time_base
    timeBase = tb.den > 0 ? Double(tb.num) / Double(tb.den) : 0
    let nopts = heroid_nopts
    if stream.pointee.duration != nopts, stream.pointee.duration > 0, timeBase > 0 {
      durationSeconds = Double(stream.pointee.duration) * timeBase
    } else if fmt.pointee.duration != nopts, fmt.pointee.duration > 0 {
      durationSeconds = Double(fmt.pointee.duration) / Double(AV_TIME_BASE)
    }
    if stream.pointee.start_time != nopts, timeBase > 0 {
      startSeconds = Double(stream.pointee.start_time) * timeBase
    } else if fmt.pointee.start_time != nopts {
      startSeconds = Double(fmt.pointee.start_time) / Double(AV_TIME_BASE)
    }
    let rate = stream.pointee.avg_frame_rate
    frameStep = rate.num > 0 && rate.den > 0 ? Double(rate.den) / Double(rate.num) : 1.0 / 25
    expectedPackets = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil

    guard let context = avcodec_alloc_context3(decoder) else {
      throw ExtractError.outOfMemory(path: path)
    }
    codec = context
    LibAVLog.attach(log, toCodec: context)
    let copied = avcodec_parameters_to_context(context, parameters)
    guard copied >= 0 else {
      throw ExtractError.decoderSetupFailed(path: path, libav: avErrorString(copied))
    }
    // The pixel cap: refuse a stream that declares a huge picture before any buffer is made,
    // and let the decoder refuse one that changes size midway (`max_pixels`).
    let declared = Int(context.pointee.width) * Int(context.pointee.height)
    guard declared <= FrameLimits.maxPixels else {
      throw ExtractError.frameTooLarge(
        path: path, width: Int(context.pointee.width), height: Int(context.pointee.height))
    }
    context.pointee.max_pixels = Int64(FrameLimits.maxPixels)
    context.pointee.pkt_timebase = tb
    context.pointee.skip_frame = keyFramesOnly ? AVDISCARD_NONKEY : AVDISCARD_DEFAULT
    context.pointee.thread_count = Int32(max(0, threads))
    let (opened, openedLog) = LibAVLog.capture { avcodec_open2(context, decoder, nil) }
    guard opened >= 0 else {
      throw ExtractError.decoderSetupFailed(path: path, libav: Self.explain(opened, openedLog))
    }
    guard let pkt = av_packet_alloc(), let frm = av_frame_alloc() else {
      throw ExtractError.outOfMemory(path: path)
    }
    packet = pkt
    frame = frm
  }

  deinit {
    av_frame_free(&frame)
    av_packet_free(&packet)
    avcodec_free_context(&codec)
    avformat_close_input(&format)
    LibAVLog.detach(log)
  }

  /// Decodes up to the next frame that the decoder outputs and returns its presentation time in
  /// seconds (`best_effort_timestamp` × the stream's time base); nil at the end of the stream.
  func decodeNext() throws -> Double? {
    guard !finished, let format, let codec, let packet, let frame else { return nil }
    let again = heroid_averror(EAGAIN)
    let eof = heroid_averror_eof
    var consecutiveErrors = 0
    while true {
      let received = avcodec_receive_frame(codec, frame)
      if received == 0 {
        framesDecoded += 1
        let t = presentationSeconds(frame)
        if frame.pointee.decode_error_flags != 0 || frame.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0
        {
          if concealedFrames == 0 { firstConcealed = t }
          concealedFrames += 1
        }
        return t
      }
      if received == eof {
        finished = true
        return nil
      }
      if received != again {
        // A decoding error surfaced on output (frame threads report them here): count, go on.
        noteDecodeError(received)
        consecutiveErrors += 1
        if consecutiveErrors > 1000 {
          finished = true
          throw ExtractError.decodeFailed(
            path: path, ptsSeconds: lastPtsSeconds ?? 0, libav: avErrorString(received))
        }
        continue
      }
      if draining {
        finished = true
        return nil
      }
      let read = av_read_frame(format, packet)
      if read < 0 {
        if read == again, consecutiveErrors < 1000 {
          consecutiveErrors += 1  // a demuxer that has no data yet (not for files); retry
          continue
        }
        if read != eof {
          let at = lastPacketSeconds.map { String(format: " after %.2fs", $0) } ?? ""
          readError = "read error\(at): \(avErrorString(read)); the rest of the file is lost"
        }
        draining = true
        _ = avcodec_send_packet(codec, nil)
        continue
      }
      defer { av_packet_unref(packet) }
      guard packet.pointee.stream_index == streamIndex else { continue }
      packetsRead += 1
      let packetTime = packet.pointee.pts != heroid_nopts ? packet.pointee.pts : packet.pointee.dts
      if packetTime != heroid_nopts { lastPacketSeconds = Double(packetTime) * timeBase }
      if packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 {
        // As the ffmpeg program: decode it anyway (an MPEG-TS continuity error flags a packet
        // whose data may be whole; a cut one gives a partly concealed frame), and say so.
        if corruptPackets == 0 { firstCorrupt = lastPacketSeconds }
        corruptPackets += 1
      }
      let isKey = packet.pointee.flags & AV_PKT_FLAG_KEY != 0
      if isKey { sawKeyPacket = true }
      if keyFramesOnly, !isKey, sawKeyPacket, framesDecoded > 0 {
        // The decoder would discard this frame anyway (skip_frame); not sending it lets the
        // frame threads take consecutive key frames, which then decode in parallel.
        continue
      }
      if keyFramesOnly, isKey, let gap = minKeyGapSeconds, packetTime != heroid_nopts {
        // The work bound: key frames closer than `gap` to the last one decoded are skipped
        // unread by the decoder (an all-intra file of 100,000 key frames costs its demuxing,
        // not 100,000 decodes). Time going backwards (a reset) starts again from there.
        let t = Double(packetTime) * timeBase
        if let last = lastSentKeySeconds, t >= last, t < last + gap {
          keyPacketsSkipped += 1
          continue
        }
        lastSentKeySeconds = t
      }
      let sent = avcodec_send_packet(codec, packet)
      if sent < 0, sent != again, sent != eof {
        noteDamagedPacket(avErrorString(sent))
      }
    }
  }

  /// The last decoded frame rescaled to `width`×`height` RGB24.
  func convertCurrentFrame(width: Int, height: Int) throws -> RGBImage {
    guard let frame else { throw ExtractError.outOfMemory(path: path) }
    return try convert(frame, crop: nil, width: width, height: height)
  }

  /// The source size of the last decoded frame.
  var currentSize: (width: Int, height: Int) {
    guard let frame else { return (0, 0) }
    return (Int(frame.pointee.width), Int(frame.pointee.height))
  }

  /// A new reference to the last decoded frame (the caller frees it with `av_frame_free`);
  /// nil when out of memory.
  func retainCurrentFrame() -> UnsafeMutablePointer<AVFrame>? {
    guard let frame else { return nil }
    return av_frame_clone(frame)
  }

  /// `source` (a decoded frame), cut to `crop` (source pixels) when given, rescaled to
  /// `width`×`height` RGB24 with libswscale.
  func convert(
    _ source: UnsafeMutablePointer<AVFrame>, crop: PixelRect?, width: Int, height: Int
  ) throws -> RGBImage {
    var image: RGBImage?
    var why = ""
    if let crop,
      crop
        != PixelRect(
          x: 0, y: 0, width: Int(source.pointee.width), height: Int(source.pointee.height))
    {
      var clone: UnsafeMutablePointer<AVFrame>? = av_frame_clone(source)
      defer { av_frame_free(&clone) }
      guard let view = clone else { throw ExtractError.outOfMemory(path: path) }
      let (w, h) = (Int(view.pointee.width), Int(view.pointee.height))
      view.pointee.crop_left = Int(max(0, min(crop.x, w - 2)))
      view.pointee.crop_top = Int(max(0, min(crop.y, h - 2)))
      view.pointee.crop_right = Int(max(0, w - min(w, crop.maxX)))
      view.pointee.crop_bottom = Int(max(0, h - min(h, crop.maxY)))
      if av_frame_apply_cropping(view, Int32(AV_FRAME_CROP_UNALIGNED)) < 0 {
        why = "cannot cut the picture \(crop) out of a \(w)x\(h) frame"
      } else {
        (image, why) = scaler.scale(view, width: width, height: height)
      }
    } else {
      (image, why) = scaler.scale(source, width: width, height: height)
    }
    guard let image else {
      throw ExtractError.decodeFailed(path: path, ptsSeconds: lastPtsSeconds ?? 0, libav: why)
    }
    return image
  }

  /// A grey probe of the last decoded frame, at most `maxWidth` wide with the source's aspect
  /// ratio (for finding the active picture); nil when swscale cannot convert it.
  func probeCurrentFrame(maxWidth: Int) -> GreyProbe? {
    guard let frame else { return nil }
    let (w, h) = (Int(frame.pointee.width), Int(frame.pointee.height))
    guard w > 0, h > 0 else { return nil }
    let pw = max(16, min(w, maxWidth) / 16 * 16)
    let ph = max(2, Int((Double(h) * Double(pw) / Double(w)).rounded()))
    return greyScaler.grey(frame, width: pw, height: ph)
  }

  /// One line per kind of damage met so far (empty for a clean file).
  func damageReport() -> [String] {
    var lines: [String] = []
    if damagedPackets > 0 {
      lines.append("\(damagedPackets) damaged packet(s) skipped (first: \(firstDamage))")
    }
    if corruptPackets > 0 {
      let at = firstCorrupt.map { String(format: " (first at %.2fs)", $0) } ?? ""
      lines.append(
        "\(corruptPackets) packet(s) marked corrupt by the demuxer, decoded anyway\(at)")
    }
    if decodeErrors > 0 {
      lines.append("\(decodeErrors) decoding error(s) (first: \(firstDecodeError))")
    }
    if concealedFrames > 0 {
      lines.append(
        "\(concealedFrames) frame(s) decoded with errors concealed (first at "
          + String(format: "%.2fs)", firstConcealed))
    }
    if missingTimestamps > 0 {
      lines.append("\(missingTimestamps) frame(s) without a timestamp (times estimated)")
    }
    if log.count > 0, let first = log.messages.first {
      lines.append("libav reported \(log.count) error(s) (first: \(first))")
    }
    if let readError { lines.append(readError) }
    if finished, let expectedPackets, packetsRead < expectedPackets {
      lines.append(
        "only \(packetsRead) of the \(expectedPackets) video packets the index lists could be read"
          + " (file truncated?)")
    }
    return lines
  }

  private func presentationSeconds(_ frame: UnsafeMutablePointer<AVFrame>) -> Double {
    var ts = frame.pointee.best_effort_timestamp
    if ts == heroid_nopts { ts = frame.pointee.pts }
    let t: Double
    if ts != heroid_nopts, timeBase > 0 {
      t = Double(ts) * timeBase
    } else {
      missingTimestamps += 1
      t = lastPtsSeconds.map { $0 + frameStep } ?? (startSeconds ?? 0)
    }
    lastPtsSeconds = t
    return t
  }

  private func noteDamagedPacket(_ why: String) {
    if damagedPackets == 0 {
      let at = lastPacketSeconds.map { String(format: "at %.2fs: ", $0) } ?? ""
      firstDamage = at + why
    }
    damagedPackets += 1
  }

  private func noteDecodeError(_ code: Int32) {
    if decodeErrors == 0 {
      let at = lastPtsSeconds.map { String(format: "after %.2fs: ", $0) } ?? ""
      firstDecodeError = at + avErrorString(code)
    }
    decodeErrors += 1
  }

  /// Done once, before the first decoder: glibc's malloc raises its mmap threshold each time a
  /// large block is freed, after which freed buffers stay in the per-thread arenas instead of
  /// going back to the system. Fixing the threshold keeps memory flat over a batch (measured at
  /// 1 MiB: 59 MB peak RSS after 1500 files instead of 340 MB). 16 MiB (since issue 28): a
  /// 1080p frame's buffers (6 MB of RGB, 8 MB of float luma) are reused from the arenas instead
  /// of being mapped and faulted in afresh each frame: `identify` of the 21 test clips 3.86 →
  /// 3.57 s (system time 1.0 → 0.5 s, page faults 480,000 → 190,000), `batch identify` of 168
  /// clips 35.8 → 32.3 s; peak RSS 428 → 487–497 MB and still flat (42, 168 and 672 clips:
  /// 475, 497, 487 MB; AMD EPYC Zen 4). A 4K frame (25 MB) is still mapped.
  private static let memorySetup: Void = {
    _ = mallopt(M_MMAP_THRESHOLD, 16 << 20)
  }()

  /// libav's error text, with what it logged when that says more.
  private static func explain(_ code: Int32, _ log: [String]) -> String {
    let base = avErrorString(code)
    guard let detail = log.last(where: { !$0.isEmpty }) else { return base }
    return "\(base): \(detail)"
  }
}

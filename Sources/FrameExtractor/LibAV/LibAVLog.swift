import CLibAV
import Foundation

/// libav's log output, routed. libav tells much of what goes wrong only through `av_log`, not
/// through return codes ("moov atom not found" behind a plain AVERROR_INVALIDDATA; "error while
/// decoding MB" for a damaged frame that is still output, concealed). `LibAVLog` installs one
/// process-wide `av_log_set_callback` that keeps libav off stderr (which stays hero-id's) and
/// hands messages of level error or worse to a `Sink`:
/// - the sink of the current thread, inside `capture(_:)` (opening a file);
/// - the sink attached to the logging codec or format context with `attach`, found through the
///   context's `opaque` field (which libavcodec copies to its frame-thread contexts, so errors
///   logged by decoder threads reach the right video) and checked against the attached sinks.
/// Everything else is dropped. Set `HERO_ID_AV_LOG=1` to see libav's own log instead.
enum LibAVLog {
  /// Collects error messages; thread-safe (decoder threads log concurrently).
  final class Sink: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    private var total = 0

    /// The first messages (at most 20).
    var messages: [String] { lock.withLock { kept } }
    /// How many messages arrived in all.
    var count: Int { lock.withLock { total } }

    func add(_ message: String) {
      lock.withLock {
        total += 1
        if kept.count < 20 { kept.append(message) }
      }
    }
  }

  /// Runs `body` and returns its result with the libav error messages it logged on this thread.
  static func capture<R>(_ body: () -> R) -> (result: R, messages: [String]) {
    _ = installed
    let sink = Sink()
    let unmanaged = Unmanaged.passRetained(sink)
    pthread_setspecific(key, unmanaged.toOpaque())
    let result = body()
    pthread_setspecific(key, nil)
    unmanaged.release()
    return (result, sink.messages)
  }

  /// Routes the errors that the codec context logs (its frame threads included) to `sink`,
  /// until `detach(_:)`.
  static func attach(_ sink: Sink, toCodec context: UnsafeMutablePointer<AVCodecContext>) {
    register(sink)
    context.pointee.opaque = Unmanaged.passUnretained(sink).toOpaque()
  }

  /// As `attach(_:toCodec:)`, for the demuxer.
  static func attach(_ sink: Sink, toFormat context: UnsafeMutablePointer<AVFormatContext>) {
    register(sink)
    context.pointee.opaque = Unmanaged.passUnretained(sink).toOpaque()
  }

  /// Stops routing to `sink`; call after the contexts it was attached to are freed.
  static func detach(_ sink: Sink) {
    let address = UInt(bitPattern: Unmanaged.passUnretained(sink).toOpaque())
    registryLock.withLock { _ = registry.removeValue(forKey: address) }
  }

  /// Attached sinks by address. A context's `opaque` is only taken for a sink when it is in
  /// here: other code in the process may use `opaque` for its own data.
  nonisolated(unsafe) private static var registry: [UInt: Sink] = [:]
  private static let registryLock = NSLock()

  private static func register(_ sink: Sink) {
    _ = installed
    let address = UInt(bitPattern: Unmanaged.passUnretained(sink).toOpaque())
    registryLock.withLock { registry[address] = sink }
  }

  /// Makes sure the callback is installed (libav quiet unless `HERO_ID_AV_LOG` is set).
  static func install() { _ = installed }

  /// The sink for a message logged by `context`: the thread's, else the context's.
  private static func sink(for context: UnsafeMutableRawPointer?) -> Sink? {
    if let raw = pthread_getspecific(key) {
      return Unmanaged<Sink>.fromOpaque(raw).takeUnretainedValue()
    }
    guard let context, let logClass = context.load(as: UnsafePointer<AVClass>?.self) else {
      return nil
    }
    var opaque: UnsafeMutableRawPointer?
    if logClass == avcodec_get_class() {
      opaque = context.assumingMemoryBound(to: AVCodecContext.self).pointee.opaque
    } else if logClass == avformat_get_class() {
      opaque = context.assumingMemoryBound(to: AVFormatContext.self).pointee.opaque
    }
    guard let opaque else { return nil }
    return registryLock.withLock { registry[UInt(bitPattern: opaque)] }
  }

  private static let key: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k, nil)
    return k
  }()

  private static let passThrough = ProcessInfo.processInfo.environment["HERO_ID_AV_LOG"] != nil

  private static let installed: Void = {
    _ = key
    av_log_set_callback { ptr, level, fmt, args in
      guard let args else { return }
      if LibAVLog.passThrough {
        av_log_default_callback(ptr, level, fmt, args)
        return
      }
      guard level <= AV_LOG_ERROR, let sink = LibAVLog.sink(for: ptr) else { return }
      var line = [CChar](repeating: 0, count: 1024)
      var printPrefix: Int32 = 0
      _ = av_log_format_line2(ptr, level, fmt, args, &line, Int32(line.count), &printPrefix)
      let text = cString(line).trimmingCharacters(in: .whitespacesAndNewlines)
      if !text.isEmpty { sink.add(text) }
    }
  }()
}

/// The text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// libav's description of an error code (`av_strerror`).
func avErrorString(_ code: Int32) -> String {
  var buffer = [CChar](repeating: 0, count: 256)
  guard av_strerror(code, &buffer, buffer.count) == 0 else { return "libav error \(code)" }
  return cString(buffer)
}

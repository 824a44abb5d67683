import CLibAV
import Foundation

/// libav's log output, routed: libav writes its diagnostics through `av_log`, not through return
/// codes (e.g. "moov atom not found" behind a plain AVERROR_INVALIDDATA). `LibAVLog` installs one
/// process-wide `av_log_set_callback` that drops everything (the CLI's stderr stays ours) except,
/// on a thread inside `capture(_:)`, messages of level error or worse, which are collected so the
/// caller can put them into an `ExtractError`. Set `HERO_ID_AV_LOG=1` to see libav's own log.
enum LibAVLog {
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

  /// Makes sure the callback is installed (libav quiet unless `HERO_ID_AV_LOG` is set).
  static func install() { _ = installed }

  final class Sink {
    var messages: [String] = []
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
      guard level <= AV_LOG_ERROR, let raw = pthread_getspecific(LibAVLog.key) else { return }
      let sink = Unmanaged<Sink>.fromOpaque(raw).takeUnretainedValue()
      var line = [CChar](repeating: 0, count: 1024)
      var printPrefix: Int32 = 0
      _ = av_log_format_line2(ptr, level, fmt, args, &line, Int32(line.count), &printPrefix)
      let text = cString(line).trimmingCharacters(in: .whitespacesAndNewlines)
      if !text.isEmpty, sink.messages.count < 20 { sink.messages.append(text) }
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

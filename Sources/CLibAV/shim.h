// Includes for libav (FFmpeg 5.1 on Debian 12), plus bridges for macros Swift cannot import.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <malloc.h>  // mallopt: FrameExtractor fixes the mmap threshold for frame buffers

static inline int heroid_averror(int e) { return AVERROR(e); }
static const int heroid_averror_eof = AVERROR_EOF;
static const int64_t heroid_nopts = AV_NOPTS_VALUE;

/*
 * cvips — the thin C layer between AnnotateKit and libvips.
 *
 * Why it exists: libvips' operations are variadic C functions (NULL-terminated option lists) and
 * some of its API is macros; Swift can call neither. This header deliberately does not include
 * <vips/vips.h>, so Swift never imports glib (much faster builds, no name clashes). Images are
 * passed around as opaque pointers that Swift owns (see VipsImage.swift).
 *
 * Conventions: every symbol is prefixed cvips_; functions return 0 on success and -1 on failure
 * (libvips' own convention); after a failure cvips_take_error() returns the error text.
 */
#ifndef CVIPS_H
#define CVIPS_H

#include <stddef.h>
#include <stdint.h>

/* Initialise libvips once per process (thread-safe) and block its loaders that are not meant
 * for untrusted input. Returns 0, or -1 when libvips cannot start. */
int cvips_init(void);

/* The libvips version as "MAJOR.MINOR.MICRO"; a static string. */
const char *cvips_version(void);

/* Whether the loader operation `name` (e.g. "heifload_buffer") exists in this libvips: 0 missing,
 * 1 available, 2 present but blocked (not meant for untrusted input). Call after cvips_init. */
int cvips_loader_state(const char *name);

/* The text of the last libvips error on any thread, cleared as it is taken. Free with cvips_free.
 * Never NULL. */
char *cvips_take_error(void);

/* Free memory returned by this shim (libvips allocates with glib). */
void cvips_free(void *p);

/* Header-only open: reads just enough of the buffer to know the format and size; pixels are not
 * decoded. The buffer must outlive the returned image. Returns NULL on failure. */
void *cvips_open_header(const void *buffer, size_t length);

/* Drop a reference taken by cvips_open_header. */
void cvips_unref(void *image);

int cvips_image_width(void *image);
int cvips_image_height(void *image);
/* Number of pages/frames (1 for still images). */
int cvips_image_pages(void *image);
/* EXIF orientation 1…8 (1 when absent). */
int cvips_image_orientation(void *image);
/* The loader that recognised the image, e.g. "jpegload_buffer"; NULL when unknown. Free with cvips_free. */
char *cvips_image_loader(void *image);
/* A metadata field as text (e.g. "exif-ifd0-Make"), or NULL when absent. Free with cvips_free. */
char *cvips_image_string(void *image, const char *field);

enum cvips_crop { CVIPS_CROP_NONE = 0, CVIPS_CROP_CENTRE = 1, CVIPS_CROP_ATTENTION = 2 };
enum cvips_format { CVIPS_FORMAT_JPEG = 0, CVIPS_FORMAT_WEBP = 1, CVIPS_FORMAT_PNG = 2 };

typedef struct cvips_encoded {
    void *data;        /* free with cvips_free */
    size_t length;
    int width;
    int height;
} cvips_encoded;

typedef struct cvips_render_request {
    int thumbnail_width;   /* 0: no thumbnail */
    int thumbnail_height;
    int crop;              /* enum cvips_crop */
    int format;            /* enum cvips_format */
    int quality;
    int preview_side;      /* 0: no preview; else the long side of a JPEG preview */
    int preview_quality;
    size_t preview_max_bytes; /* 0: no limit; else lower the quality until the preview fits */
} cvips_render_request;

/* Decodes an encoded image held in memory once and encodes what is asked: a thumbnail fitting
 * thumbnail_width×thumbnail_height (or filling it when crop is not NONE) and/or an upright JPEG
 * preview whose long side is at most preview_side (and, for JPEG and WebP, at least half of it:
 * the scale the decoder reaches without resampling). Shrink-on-load, EXIF auto-rotation, never
 * enlarging, sRGB, alpha flattened on white for JPEG, metadata stripped. When the thumbnail fits
 * inside the preview, both come from one decode. Truncated or corrupt pixel data is an error. */
int cvips_render(const void *buffer, size_t length, const cvips_render_request *request,
                 cvips_encoded *thumbnail, cvips_encoded *preview);

typedef struct cvips_pixels {
    uint8_t *data;     /* width*height*3 bytes of 8-bit sRGB, row-major; free with cvips_free */
    int width;
    int height;
} cvips_pixels;

/* Decode a small upright sRGB rendition (long side at most max_side) for analysis. */
int cvips_small_rgb(const void *buffer, size_t length, int max_side, cvips_pixels *out);

#endif

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

/* Drop a reference to an image this shim returned. */
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

/* The primitives a render is made of; which of them run, with what shrink and quality, is
 * decided in Swift (AnnotateImaging/RenderPlan.swift). Images returned here are libvips images:
 * release them with cvips_unref. NULL (or non-zero) means failure: the reason is in
 * cvips_take_error. Truncated or corrupt pixel data is an error. */

/* Decodes the buffer once into memory as an upright sRGB image whose long side is at most `side`
 * (never enlarged): the loader shrinks by `jpeg_shrink` (JPEG shrink=N) or `webp_shrink` (WebP
 * scale=1/N) when either is above 1, and a reduce does the rest. EXIF rotation applied. */
void *cvips_decode_upright(const void *buffer, size_t length, int jpeg_shrink, int webp_shrink, int side);

/* Encodes an image (JPEG/WebP at `quality`, PNG lossless), alpha flattened on white for JPEG,
 * metadata stripped. */
int cvips_encode_image(void *image, int format, int quality, cvips_encoded *out);

/* Fits an already upright image to width×height (filling it when crop is not NONE), sRGB. */
void *cvips_fit_image(void *image, int width, int height, int crop);

/* Decodes the buffer straight to width×height (shrink-on-load, EXIF rotation, never enlarged), sRGB. */
void *cvips_fit_buffer(const void *buffer, size_t length, int width, int height, int crop);

typedef struct cvips_pixels {
    uint8_t *data;     /* width*height*3 bytes of 8-bit sRGB, row-major; free with cvips_free */
    int width;
    int height;
} cvips_pixels;

/* Decode a small upright sRGB rendition (long side at most max_side) for analysis. */
int cvips_small_rgb(const void *buffer, size_t length, int max_side, cvips_pixels *out);

#endif

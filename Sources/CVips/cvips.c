#include "cvips.h"

#include <vips/vips.h>
#include <vips/vector.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t cvips_once = PTHREAD_ONCE_INIT;
static int cvips_init_status = -1;

static void cvips_init_once(void) {
    /* libvips reads VIPS_WARNING at init: without it, warnings ("premature end of JPEG") go
     * straight to stderr. A user's own VIPS_WARNING setting is kept. */
    g_setenv("VIPS_WARNING", "0", FALSE);
    if (VIPS_INIT("annotate") != 0) {
        cvips_init_status = -1;
        return;
    }
    /* SVG, PDF, ImageMagick, raw, FITS… are not hardened against hostile files. */
    vips_block_untrusted_set(TRUE);
    /* Each image is thumbnailed once: the operation cache would only hold memory. */
    vips_cache_set_max(0);
    /* No Orc (runtime-generated SIMD): under parallel batches it crashed inside liborc now and
     * then (a SIGSEGV in 1 of ~40 runs of the crash-safety test); libvips' C paths are safe. */
    vips_vector_set_enabled(FALSE);
    cvips_init_status = 0;
}

int cvips_init(void) {
    /* vips_init raced when parallel callers met it first (see docs/services.md). */
    pthread_once(&cvips_once, cvips_init_once);
    return cvips_init_status;
}

const char *cvips_version(void) { return vips_version_string(); }

int cvips_loader_state(const char *name) {
    GType type = vips_type_find("VipsOperation", name);
    if (type == 0) return 0;
    VipsOperationClass *klass = VIPS_OPERATION_CLASS(g_type_class_ref(type));
    int blocked = (klass->flags & VIPS_OPERATION_BLOCKED) != 0;
    g_type_class_unref(klass);
    return blocked ? 2 : 1;
}

char *cvips_take_error(void) {
    char *text = vips_error_buffer_copy();
    if (text == NULL) text = g_strdup("");
    return text;
}

void cvips_free(void *p) { g_free(p); }

/* libvips records warnings in its process-wide error buffer even when an operation succeeds;
 * cleared after success so they are never reported as another image's failure. */
static int cvips_succeeded(int status) {
    if (status == 0) vips_error_clear();
    return status;
}

void *cvips_open_header(const void *buffer, size_t length) {
    /* Sequential access and no decoding: only the header is parsed here. */
    VipsImage *image = vips_image_new_from_buffer(buffer, length, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    cvips_succeeded(image ? 0 : -1);
    return image;
}

void cvips_unref(void *image) {
    if (image) g_object_unref(image);
}

int cvips_image_width(void *image) { return vips_image_get_width((VipsImage *) image); }
int cvips_image_height(void *image) { return vips_image_get_height((VipsImage *) image); }
int cvips_image_pages(void *image) { return vips_image_get_n_pages((VipsImage *) image); }
int cvips_image_orientation(void *image) { return vips_image_get_orientation((VipsImage *) image); }

char *cvips_image_loader(void *image) {
    const char *loader = NULL;
    if (vips_image_get_string((VipsImage *) image, VIPS_META_LOADER, &loader) != 0 || loader == NULL) {
        vips_error_clear();
        return NULL;
    }
    return g_strdup(loader);
}

char *cvips_image_string(void *image, const char *field) {
    VipsImage *img = (VipsImage *) image;
    if (vips_image_get_typeof(img, field) == 0) return NULL;
    char *text = NULL;
    if (vips_image_get_as_string(img, field, &text) != 0) {
        vips_error_clear();
        return NULL;
    }
    return text;
}

/* Bring any thumbnail to 8-bit sRGB (CMYK, 16-bit, greyscale+alpha…) so every saver accepts it. */
static int cvips_to_srgb(VipsImage *in, VipsImage **out) {
    VipsInterpretation target = vips_image_get_bands(in) <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
    if (vips_image_get_interpretation(in) == target && vips_image_get_format(in) == VIPS_FORMAT_UCHAR) {
        g_object_ref(in);
        *out = in;
        return 0;
    }
    VipsImage *converted = NULL;
    if (vips_colourspace(in, &converted, target, NULL) != 0) return -1;
    if (vips_image_get_format(converted) != VIPS_FORMAT_UCHAR) {
        VipsImage *cast = NULL;
        int status = vips_cast(converted, &cast, VIPS_FORMAT_UCHAR, NULL);
        g_object_unref(converted);
        if (status != 0) return -1;
        converted = cast;
    }
    *out = converted;
    return 0;
}

static int cvips_flatten_white(VipsImage *in, VipsImage **out) {
    if (!vips_image_hasalpha(in)) {
        g_object_ref(in);
        *out = in;
        return 0;
    }
    double white[3] = {255, 255, 255};
    VipsArrayDouble *background = vips_array_double_new(white, vips_image_get_bands(in) > 2 ? 3 : 1);
    int status = vips_flatten(in, out, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return status;
}

/* A truncated or corrupt file must fail rather than give a half-grey thumbnail. In 8.14
 * vips_thumbnail_buffer's own "fail_on" never reaches the loader; the loader option string does
 * (the failure then surfaces when pixels are computed, i.e. at save). */
#define CVIPS_LOAD_OPTIONS "fail_on=error"

static VipsInteresting cvips_interesting(int crop) {
    switch (crop) {
    case CVIPS_CROP_CENTRE: return VIPS_INTERESTING_CENTRE;
    case CVIPS_CROP_ATTENTION: return VIPS_INTERESTING_ATTENTION;
    default: return VIPS_INTERESTING_NONE;
    }
}

/* Encodes an sRGB image; JPEG gets alpha flattened on white first. */
static int cvips_encode(VipsImage *image, int format, int quality, cvips_encoded *out) {
    VipsImage *flat = NULL;
    VipsImage *final = image;
    int status = -1;
    if (format == CVIPS_FORMAT_JPEG) {
        if (cvips_flatten_white(image, &flat) != 0) return -1;
        final = flat;
    }
    switch (format) {
    case CVIPS_FORMAT_WEBP:
        status = vips_webpsave_buffer(final, &out->data, &out->length, "Q", quality, "strip", TRUE, NULL);
        break;
    case CVIPS_FORMAT_PNG:
        status = vips_pngsave_buffer(final, &out->data, &out->length, "strip", TRUE, NULL);
        break;
    default:
        status = vips_jpegsave_buffer(final, &out->data, &out->length, "Q", quality, "strip", TRUE, NULL);
        break;
    }
    if (status == 0) {
        out->width = vips_image_get_width(final);
        out->height = vips_image_get_height(final);
    }
    if (flat) g_object_unref(flat);
    return status;
}

/* Shrink-on-load decode to fit width×height, upright, 8-bit sRGB. size DOWN: never enlarged. */
static int cvips_decode_fit(const void *buffer, size_t length, int width, int height, int crop, VipsImage **out) {
    VipsImage *thumb = NULL;
    if (vips_thumbnail_buffer((void *) buffer, length, &thumb, width, "height", height, "size", VIPS_SIZE_DOWN,
                              "crop", cvips_interesting(crop), "option_string", CVIPS_LOAD_OPTIONS, NULL) != 0)
        return -1;
    int status = cvips_to_srgb(thumb, out);
    g_object_unref(thumb);
    return status;
}

void *cvips_decode_upright(const void *buffer, size_t length, int jpeg_shrink, int webp_shrink, int side) {
    char options[64];
    if (jpeg_shrink > 1)
        g_snprintf(options, sizeof(options), "shrink=%d,%s", jpeg_shrink, CVIPS_LOAD_OPTIONS);
    else if (webp_shrink > 1)
        g_snprintf(options, sizeof(options), "scale=%g,%s", 1.0 / webp_shrink, CVIPS_LOAD_OPTIONS);
    else
        g_snprintf(options, sizeof(options), "%s", CVIPS_LOAD_OPTIONS);
    VipsImage *loaded = vips_image_new_from_buffer(buffer, length, options, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (loaded == NULL) return NULL;
    /* Rotation, colour management and (when the loader could not shrink enough) the reduce. */
    VipsImage *fitted = NULL, *srgb = NULL;
    int status = vips_thumbnail_image(loaded, &fitted, side, "height", side, "size", VIPS_SIZE_DOWN, NULL);
    g_object_unref(loaded);
    if (status != 0) return NULL;
    status = cvips_to_srgb(fitted, &srgb);
    g_object_unref(fitted);
    if (status != 0) return NULL;
    /* Decoded into memory once: every encode after this reads pixels, not the buffer again. */
    VipsImage *memory = vips_image_copy_memory(srgb);
    g_object_unref(srgb);
    cvips_succeeded(memory ? 0 : -1);
    return memory;
}

int cvips_encode_image(void *image, int format, int quality, cvips_encoded *out) {
    memset(out, 0, sizeof(*out));
    return cvips_succeeded(cvips_encode((VipsImage *) image, format, quality, out));
}

void *cvips_fit_image(void *image, int width, int height, int crop) {
    VipsImage *small = NULL, *srgb = NULL;
    /* Already upright: no second rotation. */
    if (vips_thumbnail_image((VipsImage *) image, &small, width, "height", height, "size", VIPS_SIZE_DOWN,
                             "crop", cvips_interesting(crop), "no_rotate", TRUE, NULL) != 0)
        return NULL;
    int status = cvips_succeeded(cvips_to_srgb(small, &srgb));
    g_object_unref(small);
    return status == 0 ? srgb : NULL;
}

void *cvips_fit_buffer(const void *buffer, size_t length, int width, int height, int crop) {
    VipsImage *srgb = NULL;
    return cvips_succeeded(cvips_decode_fit(buffer, length, width, height, crop, &srgb)) == 0 ? srgb : NULL;
}

int cvips_small_rgb(const void *buffer, size_t length, int max_side, cvips_pixels *out) {
    memset(out, 0, sizeof(*out));
    VipsImage *srgb = NULL, *flat = NULL, *rgb = NULL;
    int status = -1;
    if (cvips_decode_fit(buffer, length, max_side, max_side, CVIPS_CROP_NONE, &srgb) != 0) goto done;
    if (cvips_flatten_white(srgb, &flat) != 0) goto done;
    if (vips_image_get_bands(flat) == 1) {
        VipsImage *bands[3] = {flat, flat, flat};
        if (vips_bandjoin(bands, &rgb, 3, NULL) != 0) goto done;
    } else if (vips_extract_band(flat, &rgb, 0, "n", 3, NULL) != 0) {
        goto done;
    }
    size_t size = 0;
    out->data = vips_image_write_to_memory(rgb, &size);
    if (out->data == NULL) goto done;
    out->width = vips_image_get_width(rgb);
    out->height = vips_image_get_height(rgb);
    status = 0;
done:
    if (rgb) g_object_unref(rgb);
    if (flat) g_object_unref(flat);
    if (srgb) g_object_unref(srgb);
    return cvips_succeeded(status);
}

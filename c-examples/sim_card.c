/* sim_card: see sim_card.h. */
#include "sim_card.h"

#include <stdio.h>
#include <string.h>

static const uint8_t PKCS15_AID[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                     0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

/* EF ODF: [7] dataObjects -> Path { 64 30 } (the real card in REFERENCE §2.3). */
static const uint8_t ODF[] = {0xA7, 0x06, 0x30, 0x04, 0x04, 0x02, 0x64, 0x30};

/* DODF: oidDO "LwM2M Bootstrap", OID 2.23.43.9.1 (double-wrapped), Path 64 32. */
static const uint8_t DODF[] = {0xA1, 0x27, 0x30, 0x00, 0x30, 0x11, 0x0C, 0x0F, 'L',  'w',
                               'M',  '2',  'M',  ' ',  'B',  'o',  'o',  't',  's',  't',
                               'r',  'a',  'p',  0xA1, 0x10, 0x30, 0x0E, 0x06, 0x06, 0x06,
                               0x04, 0x67, 0x2B, 0x09, 0x01, 0x30, 0x04, 0x04, 0x02, 0x64,
                               0x32};

#define FID_ODF 0x5031
#define FID_DODF 0x6430
#define FID_EF 0x6432

void sim_card_init(sim_card *card, const char *ef_path) {
    memset(card, 0, sizeof *card);
    card->ef_path = ef_path;
}

int32_t sim_card_present(sim_card *card) {
    FILE *f = fopen(card->ef_path, "rb");
    if (f == NULL) {
        card->ef_len = 0;
        card->channels = 0;
        return 0;
    }
    card->ef_len = fread(card->ef, 1, sizeof card->ef, f);
    /* The real size, for SELECT's FCP: an oversized file is refused with its true length. */
    card->ef_size = card->ef_len;
    if (card->ef_len == sizeof card->ef && fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        if (end > 0) {
            card->ef_size = (size_t)end;
        }
    }
    fclose(f);
    return 1;
}

/* The content of file `fid`, or NULL. */
static const uint8_t *file_of(const sim_card *card, uint16_t fid, size_t *len) {
    switch (fid) {
    case FID_ODF:
        *len = sizeof ODF;
        return ODF;
    case FID_DODF:
        *len = sizeof DODF;
        return DODF;
    case FID_EF:
        *len = card->ef_len;
        return card->ef;
    default:
        return NULL;
    }
}

static size_t answer(uint8_t *resp, const uint8_t *data, size_t n, uint16_t sw) {
    if (n > 0) {
        memcpy(resp, data, n);
    }
    resp[n] = (uint8_t)(sw >> 8);
    resp[n + 1] = (uint8_t)sw;
    return n + 2;
}

int32_t sim_card_transmit(sim_card *card, const uint8_t *apdu, size_t len, uint8_t *resp,
                          size_t cap, size_t *resp_len) {
    uint8_t ins, p1, p2;
    size_t lc = 0;
    const uint8_t *data = NULL;
    if (card->ef_len == 0 && card->ef_path != NULL) {
        FILE *f = fopen(card->ef_path, "rb");
        if (f == NULL) {
            return -1; /* removed between present() and the walk */
        }
        fclose(f);
    }
    if (len < 4 || cap < 258) {
        *resp_len = answer(resp, NULL, 0, 0x6700);
        return 0;
    }
    ins = apdu[1];
    p1 = apdu[2];
    p2 = apdu[3];
    if (len > 5) {
        lc = apdu[4];
        data = apdu + 5;
        if (5 + lc > len) {
            *resp_len = answer(resp, NULL, 0, 0x6700);
            return 0;
        }
    }
    switch (ins) {
    case 0x70: /* MANAGE CHANNEL */
        if (p1 == 0x00) {
            uint8_t channel = 1;
            while (channel < 20 && (card->channels & (1u << channel))) {
                channel++;
            }
            if (channel == 20) {
                *resp_len = answer(resp, NULL, 0, 0x6A81);
                return 0;
            }
            card->channels |= 1u << channel;
            card->app_selected = 0;
            card->selected = 0;
            *resp_len = answer(resp, &channel, 1, 0x9000);
        } else {
            card->channels &= ~(1u << (p2 & 0x1F));
            *resp_len = answer(resp, NULL, 0, 0x9000);
        }
        return 0;
    case 0xA4: /* SELECT */
        if (p1 == 0x04) {
            static const uint8_t fcp[] = {0x62, 0x03, 0x82, 0x01, 0x38};
            if (lc == 0 || lc > sizeof PKCS15_AID || memcmp(data, PKCS15_AID, lc) != 0) {
                *resp_len = answer(resp, NULL, 0, 0x6A82);
                return 0;
            }
            card->app_selected = 1;
            card->selected = 0;
            *resp_len = answer(resp, fcp, sizeof fcp, 0x9000);
            return 0;
        }
        if (p1 == 0x08 && card->app_selected && lc == 4 && data[0] == 0x7F && data[1] == 0xFF) {
            size_t size = 0;
            uint16_t fid = (uint16_t)(data[2] << 8 | data[3]);
            /* FCP with a 4-byte file size (tag 80, ISO 7816-4 allows any length). */
            uint8_t fcp[] = {0x62, 0x09, 0x82, 0x01, 0x41, 0x80, 0x04, 0x00, 0x00, 0x00, 0x00};
            if (file_of(card, fid, &size) == NULL) {
                *resp_len = answer(resp, NULL, 0, 0x6A82);
                return 0;
            }
            if (fid == FID_EF && card->ef_size > size) {
                size = card->ef_size;
            }
            fcp[7] = (uint8_t)(size >> 24);
            fcp[8] = (uint8_t)(size >> 16);
            fcp[9] = (uint8_t)(size >> 8);
            fcp[10] = (uint8_t)size;
            card->selected = fid;
            *resp_len = answer(resp, fcp, sizeof fcp, 0x9000);
            return 0;
        }
        *resp_len = answer(resp, NULL, 0, 0x6A82);
        return 0;
    case 0xB0: { /* READ BINARY */
        size_t size = 0, offset = (size_t)(p1 & 0x7F) << 8 | p2, want, n;
        const uint8_t *file = card->selected ? file_of(card, card->selected, &size) : NULL;
        if (file == NULL) {
            *resp_len = answer(resp, NULL, 0, 0x6986); /* no current EF */
            return 0;
        }
        if (offset >= size) {
            *resp_len = answer(resp, NULL, 0, 0x6B00);
            return 0;
        }
        want = len == 5 ? (apdu[4] == 0 ? 256 : apdu[4]) : 256;
        n = size - offset < want ? size - offset : want;
        *resp_len = answer(resp, file + offset, n, 0x9000);
        return 0;
    }
    default:
        *resp_len = answer(resp, NULL, 0, 0x6D00);
        return 0;
    }
}

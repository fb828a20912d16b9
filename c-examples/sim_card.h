/* sim_card: a simulated UICC for lwbs-demo --smartcard EF_FILE.
 *
 * It answers the ISO 7816-4 APDUs of the library's PKCS#15 walk (LwM2M Core 1.1 Appendix G)
 * with the standard layout: MANAGE CHANNEL open/close, SELECT of the PKCS#15 application by
 * AID (A0 00 00 00 63 "PKCS-15"), SELECT by path from the ADF (7FFF) of EF ODF 5031, the DODF
 * 6430 (the data object with OID 2.23.43.9.1, double-wrapped as on the real card of
 * REFERENCE §2.3) and EF LwM2M_Bootstrap 6432, and READ BINARY with offsets. The content of
 * EF LwM2M_Bootstrap is the file EF_FILE, read again each time the library asks whether the
 * card is present: a missing file means "no card", and replacing the file while the demo runs
 * is an over-the-air update of the card.
 *
 * The simulated card is plain: it does not speak GlobalPlatform SCP03 (no INITIALIZE UPDATE /
 * EXTERNAL AUTHENTICATE, no C-MAC/R-MAC), so the demo leaves the SCP03 fields of
 * lwbs_smartcard_config unset. SCP03 through the C ABI is tested against the Rust simulated
 * UICC instead (tests/support/uicc.rs, tests/ffi_abi.rs).
 *
 * A real device fills card_present / card_transmit with its modem's AT+CSIM or its PC/SC
 * reader instead. */
#ifndef SIM_CARD_H
#define SIM_CARD_H

#include <stddef.h>
#include <stdint.h>

#define SIM_CARD_MAX_EF 32768 /* the largest EF LwM2M_Bootstrap the specification allows */

typedef struct sim_card {
    const char *ef_path;
    uint8_t ef[SIM_CARD_MAX_EF + 1];
    size_t ef_len;     /* bytes held in ef (at most SIM_CARD_MAX_EF + 1) */
    size_t ef_size;    /* the file's real size, reported by SELECT even when ef holds less */
    uint16_t selected; /* file ID selected on the logical channel; 0 = the application */
    int app_selected;
    uint32_t channels; /* bit n: logical channel n open */
} sim_card;

/* A card whose EF LwM2M_Bootstrap is the content of the file at ef_path (kept, not copied). */
void sim_card_init(sim_card *card, const char *ef_path);

/* lwbs_platform.card_present: reloads EF_FILE; 1 when it exists, else 0. */
int32_t sim_card_present(sim_card *card);

/* lwbs_platform.card_transmit: answers one APDU (data + SW1 SW2); -1 without a card. */
int32_t sim_card_transmit(sim_card *card, const uint8_t *apdu, size_t len, uint8_t *resp,
                          size_t cap, size_t *resp_len);

#endif /* SIM_CARD_H */

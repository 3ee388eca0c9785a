/* output.c - printing what the device sends, with or without colours. */
#include "client.h"

/* Escape sequences may be split across messages, so the state persists. */
static int esc_state; /* 0 text, 1 after ESC, 2 inside CSI */

void
client_output(const unsigned char *p, size_t len, bool colour, FILE *out)
{
	if (colour) {
		fwrite(p, 1, len, out);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (esc_state == 0) {
			if (c == 0x1b)
				esc_state = 1;
			else
				fputc(c, out);
		} else if (esc_state == 1) {
			esc_state = c == '[' ? 2 : 0;
		} else if (c >= 0x40 && c <= 0x7e) {
			esc_state = 0; /* final byte of the CSI sequence */
		}
	}
}

void
client_output_reset(void)
{
	esc_state = 0;
}

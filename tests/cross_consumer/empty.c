/* cross-empty: the baseline image of tests/cross_consumer, an empty program linked with the
 * same flags and C library as cross-consumer; the difference of their text is the library's. */
int main(void) {
    return 0;
}

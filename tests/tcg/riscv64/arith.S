/* Integer arithmetic: ALU ops, 32-bit forms, M extension corner cases. */
#include "test.h"
TEST_PROLOGUE
main:
    li a1, 40
    li a2, 2
    add a3, a1, a2
    CHECK(1, a3, 42)
    sub a3, a2, a1
    CHECK(2, a3, -38)
    li a1, 0x7fffffff
    addiw a3, a1, 1
    CHECK(3, a3, -2147483648)
    li a1, -1
    srli a3, a1, 60
    CHECK(4, a3, 15)
    srai a3, a1, 60
    CHECK(5, a3, -1)
    li a1, 3
    slli a3, a1, 62
    CHECK(6, a3, 0xc000000000000000)
    li a1, -5
    li a2, 3
    slt a3, a1, a2
    CHECK(7, a3, 1)
    sltu a3, a1, a2
    CHECK(8, a3, 0)
    mul a3, a1, a2
    CHECK(9, a3, -15)
    div a3, a1, a2
    CHECK(10, a3, -1)
    rem a3, a1, a2
    CHECK(11, a3, -2)
    div a3, a1, zero
    CHECK(12, a3, -1)
    rem a3, a1, zero
    CHECK(13, a3, -5)
    li a1, 0x8000000000000000
    li a2, -1
    div a3, a1, a2
    CHECK(14, a3, 0x8000000000000000)
    li a1, 0x100000000
    li a2, 0x100000000
    mulhu a3, a1, a2
    CHECK(15, a3, 1)
    li a1, 0xff
    xori a3, a1, 0x0f
    CHECK(16, a3, 0xf0)
    lui a3, 0x12345
    CHECK(17, a3, 0x12345000)
    li a1, 7
    li a2, 0
    /* a loop: sum 1..100 */
    li a4, 100
3:  add a2, a2, a4
    addi a4, a4, -1
    bnez a4, 3b
    CHECK(18, a2, 5050)
    PASS

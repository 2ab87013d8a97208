"""The bench names the CPU's int8 dot-product instructions, which decide the int8 query model's speed."""

from bench.run import int8_dot

# this session's AMD EPYC 7003 (Zen 3): AVX2, no VNNI (its flags line cut to the vector extensions)
ZEN3 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c sse4a bmi1 avx2 bmi2 sha_ni vaes vpclmulqdq\n"
# a Sapphire Rapids Xeon's flags, shortened to the int8-relevant ones and their neighbours
SAPPHIRE_RAPIDS = "model name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu avx2 avx512f avx512_vnni avx_vnni amx_bf16 amx_tile amx_int8\n"


def test_a_cpu_with_avx2_alone_has_no_int8_dot_product():
    assert "avx2" in ZEN3 and int8_dot(ZEN3) == []


def test_vnni_and_amx_are_named_in_order():
    assert int8_dot(SAPPHIRE_RAPIDS) == ["avx512_vnni", "avx_vnni", "amx_int8"]


def test_no_flags_line_means_nothing_known():
    assert int8_dot("") == [] and int8_dot("model name\t: something\n") == []

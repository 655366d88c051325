from hypothesis import given
from hypothesis import strategies as st

from kefu.core.masking import mask_address, mask_email, mask_id_number, mask_name, mask_phone


def test_mobile_keeps_prefix_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_landline_keeps_area_code_and_last_four():
    assert mask_phone("2584001234") == "25****1234"


def test_resident_id_keeps_region_and_last_four():
    assert mask_id_number("320102198001011234") == "320102********1234"


def test_names_keep_family_name():
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("王五") == "王*"
    assert mask_name("欧阳娜娜") == "欧**娜"


def test_email_and_address():
    assert mask_email("zhangsan@example.cn") == "z***@example.cn"
    assert mask_address("江苏省南京市鼓楼区中山路100号3单元") == "江苏省南京市鼓楼区****"


@given(st.text(alphabet="0123456789", min_size=5, max_size=15))
def test_masked_phone_never_shows_the_middle_digits(number):
    masked = mask_phone(number)

    assert len(masked) == len(number)
    assert masked.endswith(number[-4:])
    assert "*" in masked

import gc

from karakoram.services.collector import collector_paused


def test_the_collector_is_off_inside_and_back_on_after_even_when_the_block_fails() -> None:
    assert gc.isenabled()
    try:
        with collector_paused():
            assert not gc.isenabled()
            raise ValueError("the work failed")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_outer_one_in_force_and_a_caller_that_had_it_off_too() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

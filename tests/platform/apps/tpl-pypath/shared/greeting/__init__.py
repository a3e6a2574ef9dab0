"""A package outside the component directory, found through -p ../shared."""


def hello(name):
    return f"Hello, {name}, from ../shared!"

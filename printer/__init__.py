"""Printed tickets on ESC/POS thermal printers: the slip, its layout, the devices and the print queue."""

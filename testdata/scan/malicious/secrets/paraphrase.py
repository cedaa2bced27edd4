#!/bin/sh
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc4eC39HqL"
